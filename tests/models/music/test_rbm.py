"""Window RBM of the seed: CD-k training, clamped Gibbs generation, AIS frame NLL."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.music import rbm
from models.music.datasets import NUM_KEYS
from tests.models.music.tiny_rolls import band_rolls as random_rolls
from tests.models.music.tiny_rolls import tiny_model


def test_windows_end_at_each_frame_after_silence():
    roll = random_rolls()[0]
    win = rbm.windows_of(roll, 3)
    assert win.shape == (12, 3 * NUM_KEYS)
    np.testing.assert_array_equal(win[0, : 2 * NUM_KEYS], 0)  # two silent steps before frame 0
    for t in range(2, 12):
        np.testing.assert_array_equal(win[t].reshape(3, NUM_KEYS), roll[t - 2 : t + 1])


def test_cd_loss_gradient_is_the_cd_update():
    rng = np.random.default_rng(0)
    w = tf.Variable(rng.normal(0, 0.1, (6, 4)).astype(np.float32))
    b_v = tf.Variable(np.zeros(6, np.float32))
    b_h = tf.Variable(np.zeros(4, np.float32))
    v = tf.constant((rng.random((5, 6)) < 0.5).astype(np.float32))
    seed = tf.constant([1, 2], tf.int64)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(rbm.cd_loss(v, w, b_v, b_h, 1, seed))
    g_w, g_bv = tape.gradient(loss, [w, b_v])
    v_k = rbm.gibbs_chain(v, w, b_v, b_h, 1, seed)
    ph, ph_k = tf.sigmoid(v @ w + b_h), tf.sigmoid(v_k @ w + b_h)
    # -(positive - negative statistics): descending the loss is the CD-1 rule
    np.testing.assert_allclose(g_w, -(tf.transpose(v) @ ph - tf.transpose(v_k) @ ph_k), atol=1e-5)
    np.testing.assert_allclose(g_bv, -tf.reduce_sum(v - v_k, 0), atol=1e-5)


def test_gibbs_step_keeps_clamped_units():
    rng = np.random.default_rng(1)
    w = tf.constant(rng.normal(0, 1, (8, 5)).astype(np.float32))
    v = tf.constant((rng.random((1, 8)) < 0.5).astype(np.float32))
    clamp = tf.constant([[1, 1, 1, 0, 0, 0, 0, 0]], tf.float32)
    for i in range(20):
        out, _ = rbm.gibbs_step(v, w, tf.zeros(8), tf.zeros(5), tf.constant([3, i], tf.int64), 1.0, clamp)
        np.testing.assert_array_equal(out[:, :3], v[:, :3])


def test_frame_nll_is_exact_without_weights():
    """With W = 0 the conditional RBM is independent Bernoulli keys: AIS is exact."""
    config = rbm.Config.tiny()
    model = rbm.build_model(config)
    layer = model.get_layer("rbm")
    layer.w.assign(np.zeros(layer.w.shape, np.float32))
    b_v = np.random.default_rng(2).normal(0, 2, layer.b_v.shape).astype(np.float32)
    layer.b_v.assign(b_v)
    rolls = random_rolls()
    out = rbm.frame_nll(model, config, rolls)
    assert out["estimate"] is True
    assert out["frames"] == sum(r.shape[0] - 1 for r in rolls)
    last = b_v[-NUM_KEYS:].astype(np.float64)
    frames = np.concatenate([r[1:] for r in rolls]).astype(np.float64)
    nll = -(frames * -np.logaddexp(0, -last) + (1 - frames) * -np.logaddexp(0, last)).sum(1)
    assert out["nll"] == pytest.approx(nll.mean(), rel=1e-5)


def test_training_generation_and_round_trip(tmp_path):
    model, config = tiny_model(rbm)
    rolls = random_rolls(lengths=(30,) * 6)
    metrics = rbm.fit(model, config, rolls, rolls[:2], seed=0, max_minutes=2, progress=False)
    assert metrics["estimate"] is True and math.isfinite(metrics["valid_nll"])
    assert {"train_nll", "valid_nll", "epochs", "steps", "wall_seconds"} <= set(metrics)
    a = rbm.generate(model, config, 10, seed=4)
    assert a.shape == (10, NUM_KEYS) and a.dtype == np.uint8 and set(np.unique(a)) <= {0, 1}
    np.testing.assert_array_equal(a, rbm.generate(model, config, 10, seed=4))
    assert not np.array_equal(a, rbm.generate(model, config, 10, seed=5))
    assert rbm.generate(model, config, 5, seed=4, primer=rolls[0]).shape == (5, NUM_KEYS)
    halves = rbm.Config.from_dict({**config.to_dict(), "overlap": 1})  # 2 new steps per window
    assert rbm.generate(model, halves, 7, seed=4).shape == (7, NUM_KEYS)
    path = tmp_path / "rbm.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    np.testing.assert_array_equal(rbm.generate(loaded, config, 10, seed=4), a)
