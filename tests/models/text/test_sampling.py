"""Temperature, top-k and top-p on logits, with explicit seeds."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from models import sampling  # noqa: E402

LOGITS = np.log(np.array([[0.5, 0.2, 0.15, 0.1, 0.05]], np.float32))


def _kept(logits):
    return (np.asarray(logits) > sampling.NEG_INF / 2).tolist()


def test_top_k_keeps_exactly_the_k_largest():
    assert _kept(sampling.apply_top_k(LOGITS, 2)) == [[True, True, False, False, False]]
    assert _kept(sampling.apply_top_k(LOGITS, 0)) == [[True] * 5]
    assert _kept(sampling.apply_top_k(LOGITS, 99)) == [[True] * 5]


def test_top_p_keeps_the_smallest_set_reaching_p():
    assert _kept(sampling.apply_top_p(LOGITS, 0.6)) == [[True, True, False, False, False]]
    assert _kept(sampling.apply_top_p(LOGITS, 0.71)) == [[True, True, True, False, False]]
    assert _kept(sampling.apply_top_p(LOGITS, 0.9)) == [[True, True, True, True, False]]
    assert _kept(sampling.apply_top_p(LOGITS, 1.0)) == [[True] * 5]
    # The most likely symbol is kept however small p is.
    assert _kept(sampling.apply_top_p(LOGITS, 1e-9)) == [[True, False, False, False, False]]


def _shifted_rows(rows: int) -> np.ndarray:
    """The same distribution in many rows whose logits differ by a per-row constant and
    whose symbols are permuted: softmax is the same in exact arithmetic, not in float32."""
    rng = np.random.default_rng(0)
    base = np.repeat(LOGITS, rows, axis=0) + rng.uniform(-30, 30, (rows, 1)).astype(np.float32)
    perms = np.stack([rng.permutation(5) for _ in range(rows)])
    return np.take_along_axis(base, perms, axis=1), perms


def test_top_p_at_the_boundary_does_not_depend_on_rounding():
    logits, perms = _shifted_rows(2000)
    # Mass before symbol 2 is 0.5 + 0.2 = 0.7 exactly, before symbol 1 it is 0.5.
    for p, kept in [(0.7, 2), (0.7 - 2 * sampling.TOP_P_TOLERANCE, 2),
                    (0.7 + 2 * sampling.TOP_P_TOLERANCE, 3),
                    (0.5, 1), (0.5 + 2 * sampling.TOP_P_TOLERANCE, 2)]:
        mask = np.asarray(sampling.apply_top_p(logits, p)) > sampling.NEG_INF / 2
        # Undo the permutation: column j of row r holds symbol perms[r, j].
        by_symbol = np.zeros_like(mask)
        np.put_along_axis(by_symbol, perms, mask, axis=1)
        expected = np.array([True] * kept + [False] * (5 - kept))
        assert (by_symbol == expected).all(), (p, np.unique(by_symbol, axis=0))


def _sorted_threshold(probs: np.ndarray, limit: float) -> np.ndarray:
    """The nucleus threshold the slow way: sort, accumulate, keep while the mass before is below ``limit``."""
    ordered = -np.sort(-probs.astype(np.float64), axis=-1)
    before = np.cumsum(ordered, axis=-1) - ordered
    keep = before < limit
    keep[:, 0] = True
    return np.where(keep, ordered, 2.0).min(axis=-1)


def _rows(rng, rows: int, vocab: int) -> np.ndarray:
    """Peaked, flat and heavily tied rows of logits, some with symbols masked out."""
    scale = rng.choice([0.5, 2.0, 6.0], (rows, 1))
    logits = rng.normal(0, 1, (rows, vocab)) * scale
    tied = rng.random(rows) < 0.3
    logits[tied] = np.round(logits[tied])  # equal logits: exactly equal probabilities
    logits[rng.random((rows, vocab)) < 0.05] = sampling.NEG_INF
    return logits.astype(np.float32)


@pytest.mark.parametrize("jit", [False, True])
def test_the_sort_free_threshold_matches_sorting(jit):
    rng = np.random.default_rng(1)
    logits = _rows(rng, 3000, 192)
    probs = tf.nn.softmax(logits).numpy()
    find = tf.function(sampling.nucleus_threshold, jit_compile=True) if jit else sampling.nucleus_threshold
    for limit in (0.0, 0.3, 0.8, 0.95 - sampling.TOP_P_TOLERANCE, 0.99):
        got = find(probs, tf.constant(limit, tf.float32)).numpy()[:, 0]
        np.testing.assert_array_equal(got, _sorted_threshold(probs, limit).astype(np.float32), err_msg=str(limit))


def test_filtered_symbols_are_never_sampled():
    logits = np.repeat(LOGITS, 2000, axis=0)
    ids = sampling.sample(logits, temperature=1.0, top_k=3, seed=3).numpy()
    assert set(ids.tolist()) == {0, 1, 2}
    # 0.7 is exactly the mass of symbols 0 and 1: symbol 2 is never drawn at the boundary.
    ids = sampling.sample(logits, temperature=1.0, top_p=0.7, seed=3).numpy()
    assert set(ids.tolist()) == {0, 1}
    ids = sampling.sample(logits, temperature=1.0, top_p=0.6, seed=3).numpy()
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
