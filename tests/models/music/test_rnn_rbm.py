"""RNN-RBM: CD-k through time, AIS frame NLL, Gibbs generation."""

import dataclasses
import math

import keras
import numpy as np
import pytest

from models.music import ais, rnn_rbm
from models.music.datasets import NUM_KEYS
from tests.models.music.tiny_rolls import band_rolls as random_rolls
from tests.models.music.tiny_rolls import tiny_model


def without_weights(seed: int) -> tuple[keras.Model, rnn_rbm.Config]:
    """A tiny RNN-RBM with W = 0: each frame's RBM is independent keys with logits b_v(t)."""
    model, config = tiny_model(rnn_rbm, seed)
    layer = model.get_layer("rbm")
    layer.w.assign(np.zeros(layer.w.shape, np.float32))
    return model, config


def test_frame_nll_is_exact_without_weights():
    """W = 0 leaves independent keys with biases b_v(t) from the GRU: AIS is exact."""
    model, config = without_weights(0)
    rolls = random_rolls()
    out = rnn_rbm.frame_nll(model, config, rolls)
    assert out["estimate"] is True and out["frames"] == sum(r.shape[0] - 1 for r in rolls)
    total = 0.0
    for roll in rolls:
        context = np.concatenate([np.zeros((1, NUM_KEYS)), roll[:-1]])[None].astype(np.float32)
        b_v = model(context, training=False)[0].numpy()[0].astype(np.float64)  # (T, 88)
        log_p = roll * -np.logaddexp(0, -b_v) + (1 - roll) * -np.logaddexp(0, b_v)
        total -= log_p[1:].sum()
    assert out["nll"] == pytest.approx(total / out["frames"], rel=1e-5)


def test_training_generation_and_round_trip(tmp_path):
    model, config = tiny_model(rnn_rbm)
    rolls = random_rolls(lengths=(16,) * 6)
    metrics = rnn_rbm.fit(model, config, rolls, rolls[:2], seed=0, max_minutes=2, progress=False)
    assert metrics["estimate"] is True and math.isfinite(metrics["valid_nll"])
    a = rnn_rbm.generate(model, config, 9, seed=2)
    assert a.shape == (9, NUM_KEYS) and a.dtype == np.uint8 and set(np.unique(a)) <= {0, 1}
    np.testing.assert_array_equal(a, rnn_rbm.generate(model, config, 9, seed=2))
    assert not np.array_equal(a, rnn_rbm.generate(model, config, 9, seed=3))
    assert rnn_rbm.generate(model, config, 3, seed=2, primer=rolls[0]).shape == (3, NUM_KEYS)
    path = tmp_path / "rnn_rbm.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    np.testing.assert_array_equal(rnn_rbm.generate(loaded, config, 9, seed=2), a)
    assert rnn_rbm.frame_nll(loaded, config, rolls)["nll"] == pytest.approx(
        rnn_rbm.frame_nll(model, config, rolls)["nll"], rel=1e-6
    )


def test_independent_nll_is_the_frame_nll_without_weights():
    """The pretraining objective is the exact NLL when W = 0: it matches the (then exact) AIS figure."""
    model, config = without_weights(1)
    rolls = random_rolls(seed=1)
    exact = rnn_rbm.independent_nll(model, config, rolls)
    assert exact["frames"] == sum(r.shape[0] - 1 for r in rolls)
    assert exact["nll"] == pytest.approx(rnn_rbm.frame_nll(model, config, rolls)["nll"], rel=1e-5)


def test_pretraining_holds_w_at_zero_then_cd_learns_it():
    config = dataclasses.replace(rnn_rbm.Config.tiny(), pretrain_epochs=2, max_epochs=3, patience=5)
    keras.utils.set_random_seed(0)
    model = rnn_rbm.build_model(config)
    rolls = random_rolls(lengths=(16,) * 6)
    seen = []  # (phase, epoch, W) at each checkpoint: the end of each phase

    def on_checkpoint(m, st):
        seen.append((st["phase"], st["epoch"], m.get_layer("rbm").w.numpy().copy()))

    metrics = rnn_rbm.fit(model, config, rolls, rolls[:2], seed=0, max_minutes=2, on_checkpoint=on_checkpoint,
                          progress=False)
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
    assert [h.get("phase") for h in metrics["history"]] == ["pretrain", "pretrain", None]
    assert [(phase, epoch) for phase, epoch, _ in seen] == [("pretrain", 2), ("cd", 3)]
    assert not seen[0][2].any()  # W untouched by the exact-likelihood phase
    assert np.abs(seen[1][2]).max() > 0.0  # CD-k trains it
    assert math.isfinite(metrics["valid_nll"])


def test_widen_keeps_every_frame_distribution():
    """Hidden units with zero weights add a constant per frame: the exact NLL does not move."""
    config = dataclasses.replace(rnn_rbm.Config.tiny(), hidden=4)
    keras.utils.set_random_seed(0)
    model = rnn_rbm.build_model(config)
    layer = model.get_layer("rbm")
    layer.w.assign(np.random.default_rng(0).normal(0.0, 0.5, layer.w.shape).astype(np.float32))
    wide = rnn_rbm.widen(model, config, 7)
    assert wide.get_layer("rbm").w.shape == (NUM_KEYS, 7)
    roll = random_rolls(lengths=(6,))[0]
    context = np.concatenate([np.zeros((1, NUM_KEYS)), roll[:-1]])[None].astype(np.float32)

    def exact_nll(m):
        w = m.get_layer("rbm").w.numpy()
        b_v, b_h = (x.numpy()[0] for x in m(context, training=False))
        f = -(roll * b_v).sum(1) - np.logaddexp(0.0, roll @ w + b_h).sum(1)
        return np.array([f[t] + ais.exact_log_partition(w, b_v[t], b_h[t]) for t in range(len(roll))])

    np.testing.assert_allclose(exact_nll(wide), exact_nll(model), rtol=1e-4, atol=1e-4)
    noisy = rnn_rbm.widen(model, config, 7, stddev=0.3)
    assert np.abs(noisy.get_layer("rbm").w.numpy()[:, 4:]).max() > 0.0
    assert not np.allclose(exact_nll(noisy), exact_nll(model), atol=1e-3)
    with pytest.raises(ValueError):
        rnn_rbm.widen(model, config, 3)
