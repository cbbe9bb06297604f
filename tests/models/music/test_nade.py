"""LSTM-NADE: exact likelihood (brute force on tiny NADEs), sampling, training, save/load."""

import itertools
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.music import nade
from models.music.datasets import NUM_KEYS
from tests.models.music.tiny_rolls import band_rolls, tiny_model


def random_rolls(seed=0, lengths=(12, 20, 7), p=0.06):
    """Rolls in which about ``p`` of all keys sound, all of them among keys 20..59."""
    return band_rolls(seed, lengths, low=20, high=60, p=p * 88 / 40)


def tiny_nade(keys=4, hidden=3, units=5, seed=0):
    keras.utils.set_random_seed(seed)
    layer = nade.ConditionalNADE(keys, hidden)
    layer.build([(None, units), (None, keys)])
    rng = np.random.default_rng(seed)
    for var in layer.weights:  # larger weights than the init, so keys really interact
        var.assign(rng.normal(0.0, 1.5, var.shape).astype(np.float32))
    return layer


def test_nade_sums_to_one_over_all_frames():
    layer = tiny_nade()
    frames = np.array(list(itertools.product((0.0, 1.0), repeat=4)), np.float32)  # (16, 4)
    h = tf.repeat(tf.random.normal((1, 5), seed=1), 16, axis=0)
    log_p = layer([h, frames])
    assert float(tf.reduce_sum(tf.exp(log_p))) == pytest.approx(1.0, abs=1e-5)


def test_nade_log_prob_equals_product_of_brute_force_conditionals():
    layer = tiny_nade(seed=3)
    h = tf.random.normal((1, 5), seed=2)
    frames = np.array(list(itertools.product((0.0, 1.0), repeat=4)), np.float32)
    log_p = layer([tf.repeat(h, 16, axis=0), frames]).numpy()
    w, v, b_v, b_h = (x.numpy() for x in (layer.w, layer.v, layer.b_v, layer.b_h))
    hb_v = b_v + h.numpy()[0] @ layer.u_v.numpy()
    hb_h = b_h + h.numpy()[0] @ layer.u_h.numpy()
    for frame, got in zip(frames, log_p, strict=True):
        total = 0.0
        for i in range(4):
            a = hb_h + frame[:i] @ w[:i]
            p = 1.0 / (1.0 + math.exp(-(hb_v[i] + v[i] @ (1.0 / (1.0 + np.exp(-a))))))
            total += math.log(p if frame[i] else 1.0 - p)
        assert got == pytest.approx(total, abs=1e-5)


def test_segment_logits_equal_dense_cumulative_sum():
    layer = nade.ConditionalNADE(NUM_KEYS, 7)
    rng = np.random.default_rng(0)
    v = (rng.random((3, 5, NUM_KEYS)) < 0.2).astype(np.float32)  # up to ~30 notes per frame
    v[0, 0] = 0.0  # a silent frame
    v[0, 1] = 1.0  # every key
    h = rng.normal(size=(3, 5, 9)).astype(np.float32)
    layer([h, v])
    np.testing.assert_allclose(layer.logits(h, v).numpy(), layer.dense_logits(h, v).numpy(), atol=1e-4)


def test_sampler_draws_from_the_nade_distribution():
    layer = tiny_nade(seed=4)
    h = tf.random.normal((1, 5), seed=3)
    frames = np.array(list(itertools.product((0.0, 1.0), repeat=4)), np.float32)
    exact = np.exp(layer([tf.repeat(h, 16, axis=0), frames]).numpy())

    @tf.function
    def draw(n):
        out = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            seed = tf.stack([tf.constant(9, tf.int64), tf.cast(i, tf.int64)])
            out = out.write(i, nade.sample_frame(layer, h, tf.constant(1.0), seed)[0])
        return out.stack()

    samples = draw(tf.constant(4000)).numpy()
    index = (samples * np.array([8, 4, 2, 1])).sum(axis=1).astype(int)
    freq = np.bincount(index, minlength=16) / len(index)
    np.testing.assert_allclose(freq, exact, atol=0.03)


def test_frame_nll_counts_predicted_frames_and_matches_the_model():
    config = nade.Config.tiny()
    model = nade.build_model(config)
    rolls = random_rolls()
    out = nade.frame_nll(model, config, rolls)
    assert out["frames"] == sum(r.shape[0] - 1 for r in rolls)
    assert out["estimate"] is False
    # Direct: the model's per-step log-likelihoods of frames 1..T-1, one piece at a time.
    total = 0.0
    for roll in rolls:
        context = np.concatenate([np.zeros((1, NUM_KEYS)), roll[:-1]])[None].astype(np.float32)
        log_p = model([context, roll[None].astype(np.float32)], training=False).numpy()[0]
        total -= log_p[1:].sum()
    assert out["nll"] == pytest.approx(total / out["frames"], rel=1e-5)


def test_generate_is_binary_seeded_and_primable():
    model, config = tiny_model(nade)
    a = nade.generate(model, config, 12, seed=5)
    b = nade.generate(model, config, 12, seed=5)
    c = nade.generate(model, config, 12, seed=6)
    assert a.shape == (12, NUM_KEYS) and a.dtype == np.uint8
    assert set(np.unique(a)) <= {0, 1}
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    primed = nade.generate(model, config, 4, seed=5, primer=random_rolls()[0])
    assert primed.shape == (4, NUM_KEYS)
    # Near temperature 0 keys take their likelier value: the seed matters much less.
    cold_a = nade.generate(model, config, 12, seed=5, temperature=0.01)
    cold_b = nade.generate(model, config, 12, seed=6, temperature=0.01)
    assert (cold_a != cold_b).mean() < 0.2 < 0.3 < (a != c).mean()
    with pytest.raises(ValueError):
        nade.generate(model, config, 4, temperature=0.0)


def test_tiny_training_improves_and_round_trips(tmp_path):
    model, config = tiny_model(nade)
    rolls = random_rolls(lengths=(16,) * 8)
    before = nade.frame_nll(model, config, rolls)["nll"]
    config.max_epochs, config.patience = 4, 4
    metrics = nade.fit(model, config, rolls, rolls[:2], seed=0, max_minutes=2, progress=False)
    assert {"train_nll", "valid_nll", "epochs", "steps", "wall_seconds"} <= set(metrics)
    after = nade.frame_nll(model, config, rolls)["nll"]
    assert after < before
    path = tmp_path / "nade.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert nade.frame_nll(loaded, config, rolls)["nll"] == pytest.approx(after, rel=1e-6)
    np.testing.assert_array_equal(nade.generate(loaded, config, 6, seed=1), nade.generate(model, config, 6, seed=1))
    assert nade.Config.from_dict(config.to_dict()) == config
