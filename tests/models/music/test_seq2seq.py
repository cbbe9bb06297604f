"""The encoder-decoder: bidirectional encoder states initialise the decoder; NLL after the primer."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from models.music import metrics, seq2seq
from models.music.datasets import NUM_KEYS
from tests.models.music.tiny_rolls import random_rolls, tiny_model


@pytest.fixture(scope="module")
def tiny():
    return tiny_model(seq2seq)


def test_bidirectional_encoder_initialises_a_twice_as_wide_decoder(tiny):
    model, config = tiny
    encoder = model.get_layer("encoder")
    assert type(encoder).__name__ == "Bidirectional"
    assert model.get_layer("decoder").units == 2 * config.encoder_units
    out = model([np.zeros((2, config.primer_steps, NUM_KEYS)), np.zeros((2, 7, NUM_KEYS))])
    assert tuple(out.shape) == (2, 7, NUM_KEYS)


def test_decoder_depends_on_the_primer(tiny):
    model, config = tiny
    rng = np.random.default_rng(0)
    dec = np.zeros((1, 5, NUM_KEYS), np.float32)
    a = model([rng.integers(0, 2, (1, config.primer_steps, NUM_KEYS)).astype(np.float32), dec])
    b = model([np.zeros((1, config.primer_steps, NUM_KEYS), np.float32), dec])
    assert not np.allclose(a.numpy(), b.numpy())


def test_save_and_load_round_trip(tiny, tmp_path):
    model, config = tiny
    model.save(tmp_path / "s.keras")
    loaded = keras.saving.load_model(tmp_path / "s.keras", compile=False)
    x = [np.ones((1, config.primer_steps, NUM_KEYS), np.float32), np.ones((1, 3, NUM_KEYS), np.float32)]
    np.testing.assert_allclose(model(x).numpy(), loaded(x).numpy(), atol=1e-6)


def test_frame_nll_covers_frames_after_the_primer(tiny):
    model, config = tiny
    p = config.primer_steps
    rolls = random_rolls(4) + [random_rolls(1, seed=5, low=2, high=3)[0]]  # one piece too short
    result = seq2seq.frame_nll(model, config, rolls, batch_size=3)
    usable = [r for r in rolls if r.shape[0] > p]
    assert result["primer_steps"] == p and result["skipped_pieces"] == 1
    assert result["frames"] == sum(r.shape[0] - p for r in usable)
    # Reference, piece by piece: logits for frames P..T-1 from the primer and teacher forcing.
    total = 0.0
    for r in usable:
        x = r.astype(np.float32)
        logits = model([x[None, :p], x[None, p - 1 : -1]]).numpy()[0]
        total += metrics.bernoulli_nll_from_logits(logits, r[p:])
    assert result["nll"] == pytest.approx(total / result["frames"], rel=1e-5)


def test_coin_flip_model_scores_88_ln2():
    config = seq2seq.Config.tiny()
    model = seq2seq.build_model(config)
    dense = model.get_layer("logits")
    dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])
    assert seq2seq.frame_nll(model, config, random_rolls(3))["nll"] == pytest.approx(
        88 * np.log(2), rel=1e-6
    )


def test_generate_is_seeded_and_conditioned_on_the_primer(tiny):
    model, config = tiny
    sharp = seq2seq.build_model(config)
    sharp.set_weights([4.0 * w for w in model.get_weights()])
    primer = random_rolls(1, seed=3)[0]
    a = seq2seq.generate(sharp, config, 20, seed=1, primer=primer)
    b = seq2seq.generate(sharp, config, 20, seed=1, primer=primer)
    c = seq2seq.generate(sharp, config, 20, seed=1)
    assert a.shape == (20, NUM_KEYS) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert seq2seq.generate(sharp, config, 20, seed=2, primer=primer).tolist() != a.tolist()
    for steps in (3, 11):
        seq2seq.generate(sharp, config, steps, seed=steps, primer=primer[:2])
    assert seq2seq._generator(sharp).experimental_get_tracing_count() == 1


def test_fit_primer_pads_and_crops():
    short = np.ones((2, NUM_KEYS), np.uint8)
    out = seq2seq.fit_primer(short, 5)
    assert out.shape == (5, NUM_KEYS) and out[:3].sum() == 0 and out[3:].all()
    long = np.arange(10)[:, None] * np.ones((1, NUM_KEYS))
    assert seq2seq.fit_primer(long, 4).shape == (4, NUM_KEYS)
    assert seq2seq.fit_primer(None, 4).sum() == 0


@pytest.mark.slow
def test_fit_improves_validation_nll():
    keras.utils.set_random_seed(0)
    config = seq2seq.Config(encoder_units=8, primer_steps=4, target_steps=8, batch_size=4,
                            max_epochs=3, patience=5)
    train, valid = random_rolls(16, seed=1), random_rolls(4, seed=2)
    model = seq2seq.build_model(config)
    before = seq2seq.frame_nll(model, config, valid)["nll"]
    result = seq2seq.fit(model, config, train, valid, seed=0, max_minutes=5, progress=False)
    assert result["epochs"] == 3 and result["valid_nll"] < before
