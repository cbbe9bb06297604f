"""Widening a writer keeps its function; 16-bit stored weights load back as float32."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.text import checkpoint  # noqa: E402
from models.text.char_lstm import CharLSTMConfig, build_model  # noqa: E402
from models.text.grow import widen  # noqa: E402
from models.text.vocab import Vocab  # noqa: E402


def _trained_like(cfg: CharLSTMConfig, vocab_size: int, seed: int):
    """A model whose every weight is non-zero noise of a trained model's scale."""
    model = build_model(cfg, vocab_size)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("cell", ["keras", "scratch"])
def test_a_widened_writer_computes_the_same_logits_and_states(cell):
    narrow = _trained_like(CharLSTMConfig(layers=2, units=16, embedding=8, dropout=0.1, cell=cell), 30, 0)
    wide = build_model(CharLSTMConfig(layers=2, units=40, embedding=8, dropout=0.1, cell=cell), 30)
    widen(narrow, wide)
    ids = np.random.default_rng(1).integers(0, 30, (3, 25)).astype(np.int32)
    logits, states = narrow(ids)
    wide_logits, wide_states = wide(ids)
    np.testing.assert_allclose(wide_logits, logits, atol=1e-5)
    for old, new in zip(states, wide_states, strict=True):
        np.testing.assert_allclose(new[:, :16], old, atol=1e-5)  # the old units, carried on
    assert np.abs(np.asarray(wide_states[0])[:, 16:]).max() > 0  # the new units run too
    # Carried states: a second chunk from the first chunk's states still agrees.
    more = ids[:, ::-1].copy()
    np.testing.assert_allclose(wide(more, wide_states)[0], narrow(more, states)[0], atol=1e-5)


def test_one_training_step_recruits_the_new_units():
    narrow = _trained_like(CharLSTMConfig(layers=1, units=8, embedding=4), 12, 2)
    wide = build_model(CharLSTMConfig(layers=1, units=20, embedding=4), 12)
    widen(narrow, wide)
    assert np.all(wide.head.get_weights()[0][8:] == 0)
    ids = np.random.default_rng(3).integers(0, 12, (2, 10)).astype(np.int32)
    with tf.GradientTape() as tape:
        logits, _ = wide(ids[:, :-1], training=True)
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(ids[:, 1:], logits, from_logits=True))
    head_grad = np.asarray(tape.gradient(loss, wide.head.kernel))
    assert np.abs(head_grad[8:]).max() > 0


def test_widen_refuses_another_depth_or_a_narrower_model():
    narrow = build_model(CharLSTMConfig(layers=1, units=8, embedding=4), 12)
    with pytest.raises(ValueError, match="must match"):
        widen(narrow, build_model(CharLSTMConfig(layers=2, units=16, embedding=4), 12))
    with pytest.raises(ValueError, match="narrower"):
        widen(build_model(CharLSTMConfig(layers=1, units=16, embedding=4), 12), narrow)


def test_float16_storage_halves_the_file_and_loads_as_float32(tmp_path):
    vocab = Vocab.from_text("abcdefgh ijk\n = ")
    model = _trained_like(CharLSTMConfig(layers=2, units=48, embedding=8), len(vocab), 4)
    full = checkpoint.save(tmp_path / "full", "w", model, vocab, {"note": "x"})
    half = checkpoint.save(tmp_path / "half", "w", model, vocab, {"note": "x"}, stored_dtype="float16")
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded, vocab2, meta = checkpoint.load(half)
    assert meta["stored_dtype"] == "float16" and meta["note"] == "x" and vocab2 == vocab
    assert loaded.compute_dtype == "float32"
    assert all(w.dtype == np.float32 for w in loaded.get_weights())
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(b, a.astype(np.float16).astype(np.float32))
    ids = np.array([vocab.encode("abc def ijk")], np.int32)
    np.testing.assert_allclose(loaded(ids)[0], model(ids)[0], atol=0.02)
    with pytest.raises(ValueError, match="stored_dtype"):
        checkpoint.save(tmp_path, "w", model, vocab, stored_dtype="int8")


def test_init_from_widen_grows_a_tiny_writer_and_ships_it_in_float16(tmp_path):
    from models.text import train

    def run(out, *extra):
        assert train.main(["--out", str(out), "--steps", "12", "--no-progress", *extra]) == 0

    run(tmp_path / "narrow", "--config", "tiny")
    narrow = tmp_path / "narrow" / "wiki_writer.keras"
    with pytest.raises(SystemExit, match="--widen grows the units"):
        run(tmp_path / "refused", "--config", "tiny_wide", "--init-from", str(narrow))
    run(tmp_path / "wide", "--config", "tiny_wide", "--init-from", str(narrow), "--widen")
    model, _, meta = checkpoint.load(tmp_path / "wide" / "wiki_writer.keras")
    assert model.units == 96 and meta["stored_dtype"] == "float16"
    assert meta["init_from"]["widened_from_units"] == 64 and meta["total_steps"] == 24
    before = json.loads(narrow.with_suffix(".json").read_text())
    assert meta["valid_bpc"] < before["valid_bpc"]  # it went on learning from the narrow one
