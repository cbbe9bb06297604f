"""Temperature, top-k and top-p on logits, with explicit seeds."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from models import sampling  # noqa: E402

LOGITS = np.log(np.array([[0.5, 0.2, 0.15, 0.1, 0.05]], np.float32))


def _kept(logits):
    return (np.asarray(logits) > sampling.NEG_INF / 2).tolist()


def test_top_k_keeps_exactly_the_k_largest():
    assert _kept(sampling.apply_top_k(LOGITS, 2)) == [[True, True, False, False, False]]
    assert _kept(sampling.apply_top_k(LOGITS, 0)) == [[True] * 5]
    assert _kept(sampling.apply_top_k(LOGITS, 99)) == [[True] * 5]


def test_top_p_keeps_the_smallest_set_reaching_p():
    assert _kept(sampling.apply_top_p(LOGITS, 0.5)) == [[True, False, False, False, False]]
    assert _kept(sampling.apply_top_p(LOGITS, 0.7)) == [[True, True, False, False, False]]
    assert _kept(sampling.apply_top_p(LOGITS, 0.71)) == [[True, True, True, False, False]]
    assert _kept(sampling.apply_top_p(LOGITS, 1.0)) == [[True] * 5]


def test_filtered_symbols_are_never_sampled():
    logits = np.repeat(LOGITS, 2000, axis=0)
    ids = sampling.sample(logits, temperature=1.0, top_k=3, seed=3).numpy()
    assert set(ids.tolist()) == {0, 1, 2}
    ids = sampling.sample(logits, temperature=1.0, top_p=0.7, seed=3).numpy()
    assert set(ids.tolist()) == {0, 1}


def test_sampling_follows_the_distribution_and_is_seeded():
    logits = np.repeat(LOGITS, 20000, axis=0)
    ids = sampling.sample(logits, seed=7).numpy()
    freq = np.bincount(ids, minlength=5) / len(ids)
    np.testing.assert_allclose(freq, [0.5, 0.2, 0.15, 0.1, 0.05], atol=0.015)
    np.testing.assert_array_equal(ids, sampling.sample(logits, seed=7).numpy())
    assert not np.array_equal(ids, sampling.sample(logits, seed=8).numpy())


def test_low_temperature_is_nearly_greedy_and_high_flattens():
    logits = np.repeat(LOGITS, 5000, axis=0)
    cold = sampling.sample(logits, temperature=0.05, seed=1).numpy()
    assert (cold == 0).mean() > 0.99
    hot = np.bincount(sampling.sample(logits, temperature=100.0, seed=1).numpy(), minlength=5) / 5000
    np.testing.assert_allclose(hot, 0.2, atol=0.03)


def test_row_uniforms_depend_only_on_the_row_seed():
    a = sampling.row_uniforms([5, 9], 6)
    b = sampling.row_uniforms([9], 8)
    np.testing.assert_array_equal(a[1], b[0, :6])
    assert a.shape == (2, 6) and (a >= 0).all() and (a < 1).all()
