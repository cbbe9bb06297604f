"""The LSTM composer: shapes, save/load, the NLL definition, seeded generation, training."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from models.music import batches, lstm, metrics, training
from models.music.datasets import NUM_KEYS
from tests.models.music.tiny_rolls import random_rolls, tiny_model


@pytest.fixture(scope="module")
def tiny():
    return tiny_model(lstm)


def test_two_stacked_lstms_with_dropout_and_a_dense_output(tiny):
    model, config = tiny
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("LSTM") == 2 and kinds.count("Dropout") >= 2 and kinds[-1] == "Dense"
    out = model(np.zeros((2, 5, NUM_KEYS), np.float32))
    assert tuple(out.shape) == (2, 5, NUM_KEYS)


def test_config_round_trip():
    config = lstm.Config(units=33, dropout=0.1)
    assert lstm.Config.from_dict(config.to_dict()) == config
    assert lstm.Config.from_dict({**config.to_dict(), "unknown": 1}) == config


def test_save_and_load_round_trip(tiny, tmp_path):
    model, _ = tiny
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    x = np.random.default_rng(1).integers(0, 2, (1, 7, NUM_KEYS)).astype(np.float32)
    np.testing.assert_allclose(model(x).numpy(), loaded(x).numpy(), atol=1e-6)


def test_frame_nll_matches_the_metrics_definition(tiny):
    model, config = tiny
    rolls = random_rolls(5)
    ours = lstm.frame_nll(model, config, rolls, batch_size=2)
    # Reference: one piece at a time, predictions for frames 1..T-1 from frames before.
    preds = []
    for roll in rolls:
        inputs = batches.with_start_frame(roll)[None, :-1].astype(np.float32)
        preds.append(model(inputs).numpy()[0, 1:])  # drop the prediction of frame 0
    ref = metrics.frame_nll(preds, rolls, logits=True)
    assert ours["frames"] == ref["frames"] == sum(r.shape[0] - 1 for r in rolls)
    assert ours["nll"] == pytest.approx(ref["nll"], rel=1e-5)
    assert ours["estimate"] is False


def test_coin_flip_model_scores_88_ln2():
    config = lstm.Config.tiny()
    model = lstm.build_model(config)
    dense = model.get_layer("logits")
    dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])  # p = 0.5 everywhere
    result = lstm.frame_nll(model, config, random_rolls(3))
    assert result["nll"] == pytest.approx(88 * np.log(2), rel=1e-6)


def test_generate_is_seeded_and_returns_only_new_steps(tiny):
    model, config = tiny
    a = lstm.generate(model, config, 24, seed=3, temperature=1.0)
    b = lstm.generate(model, config, 24, seed=3, temperature=1.0)
    c = lstm.generate(model, config, 24, seed=4, temperature=1.0)
    assert a.shape == (24, NUM_KEYS) and a.dtype == np.uint8
    assert set(np.unique(a)) <= {0, 1}
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # An untrained model is close to p = 0.5 everywhere; sharpen it so the primer matters.
    sharp = lstm.build_model(config)
    sharp.set_weights([4.0 * w for w in model.get_weights()])
    primer = random_rolls(1, seed=9)[0]
    d = lstm.generate(sharp, config, 24, seed=3, primer=primer)
    e = lstm.generate(sharp, config, 24, seed=3)
    assert d.shape == (24, NUM_KEYS) and not np.array_equal(d, e)
    assert lstm.generate(model, config, 0).shape == (0, NUM_KEYS)
    with pytest.raises(ValueError):
        lstm.generate(model, config, 4, temperature=0.0)
    with pytest.raises(ValueError):
        lstm.generate(model, config, 4, primer=np.zeros((3, 12)))


def test_generation_is_one_traced_function(tiny):
    model, config = tiny
    for steps, seed in ((5, 0), (17, 1), (3, 2)):
        lstm.generate(model, config, steps, seed=seed, primer=random_rolls(1, seed)[0][:steps])
    run = lstm._generator(model)
    assert run.experimental_get_tracing_count() == 1  # one graph, whatever the length


def test_low_temperature_plays_fewer_unlikely_notes(tiny):
    model, config = tiny
    cold = lstm.generate(model, config, 64, seed=1, temperature=0.1)
    hot = lstm.generate(model, config, 64, seed=1, temperature=2.0)
    assert cold.sum() < hot.sum()  # an untrained model: p < 0.5 keys vanish when cold


def test_segments_cover_every_frame_once():
    rng = np.random.default_rng(0)
    for length in (1, 5, 16, 17, 100):
        segs = batches.split_segments(length, 16, rng)
        covered = np.concatenate([np.arange(a, b) for a, b in segs])
        np.testing.assert_array_equal(covered, np.arange(length))
        assert all(b - a <= 16 for a, b in segs)


@pytest.mark.slow
def test_fit_learns_and_resumes():
    keras.utils.set_random_seed(0)
    config = lstm.Config(units=16, batch_size=4, window=16, max_epochs=3, patience=5)
    train, valid = random_rolls(16, seed=1), random_rolls(4, seed=2)
    model = lstm.build_model(config)
    before = lstm.frame_nll(model, config, valid)["nll"]
    saved = {}
    result = lstm.fit(model, config, train, valid, seed=0, max_minutes=5, progress=False,
                      on_checkpoint=lambda m, st: saved.update(st))
    assert result["epochs"] == 3 and result["steps"] > 0
    assert result["valid_nll"] < before
    assert result["gap"] == pytest.approx(result["valid_nll"] - result["train_nll"])
    assert saved["epoch"] == 3 and len(saved["best_weights"]) == len(model.get_weights())
    more = lstm.Config.from_dict({**config.to_dict(), "max_epochs": 4})
    resumed = lstm.fit(model, more, train, valid, seed=0, max_minutes=5, progress=False,
                       state=saved)
    assert resumed["epochs"] == 4 and resumed["steps"] > result["steps"]


def test_output_bias_starts_at_key_frequencies():
    rolls = [np.zeros((10, NUM_KEYS), np.uint8), np.zeros((30, NUM_KEYS), np.uint8)]
    rolls[0][:, 40] = 1
    rolls[1][:10, 40] = 1
    rolls[1][:, 43] = 1
    logits = training.key_frequency_logits(rolls)
    assert logits[40] == pytest.approx(0.0, abs=1e-6)  # 20 of 40 frames
    assert logits[43] == pytest.approx(np.log(0.75 / 0.25), abs=1e-5)  # 30 of 40
    assert logits[0] == pytest.approx(np.log(1e-4 / (1 - 1e-4)), abs=1e-3)  # never: the floor

    config = lstm.Config(units=8, batch_size=4, window=16, max_epochs=0, init_output_bias=True)
    model = lstm.build_model(config)
    lstm.fit(model, config, rolls, rolls, seed=0, max_minutes=1, progress=False)
    np.testing.assert_allclose(model.get_layer("logits").bias.numpy(), logits, rtol=1e-6)
    # A model on the key marginals scores exactly the unigram NLL (the LSTM output is
    # ignored only when the dense kernel is zero).
    model.get_layer("logits").kernel.assign(np.zeros((8, NUM_KEYS), np.float32))
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    frames = np.concatenate([r[1:] for r in rolls]).astype(np.float64)
    unigram = -(frames * np.log(p) + (1 - frames) * np.log1p(-p)).sum() / len(frames)
    assert lstm.frame_nll(model, config, rolls)["nll"] == pytest.approx(unigram, rel=1e-4)


def test_ema_validates_and_ships_the_averaged_weights():
    keras.utils.set_random_seed(0)
    train, valid = random_rolls(8, seed=1), random_rolls(4, seed=2)
    # decay 1.0: the average never leaves the initial weights, although training moves the
    # live ones, so the restored (shipped) weights must be exactly the initial ones.
    config = lstm.Config(units=8, batch_size=4, window=16, max_epochs=2, patience=5, ema=1.0,
                         learning_rate=1e-2)
    model = lstm.build_model(config)
    initial = [w.copy() for w in model.get_weights()]
    saved = {}
    result = lstm.fit(model, config, train, valid, seed=0, max_minutes=5, progress=False,
                      on_checkpoint=lambda m, st: saved.update(st))
    assert result["steps"] > 0 and result["best_epoch"] == 1
    for got, want in zip(model.get_weights(), initial, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(saved["ema_weights"]) == len(model.trainable_variables)
    assert result["valid_nll"] == pytest.approx(lstm.frame_nll(model, config, valid)["nll"], rel=1e-5)

    # decay 0.5 on a fresh model: the shipped weights differ from the initial ones.
    config = lstm.Config.from_dict({**config.to_dict(), "ema": 0.5})
    model = lstm.build_model(config)
    initial = [w.copy() for w in model.get_weights()]
    lstm.fit(model, config, train, valid, seed=0, max_minutes=5, progress=False)
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), initial, strict=True))
