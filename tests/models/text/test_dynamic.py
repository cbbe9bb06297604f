"""Dynamic evaluation: exact when it takes no steps, causal, learns a repeat, restores the weights."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.text import checkpoint  # noqa: E402
from models.text.dynamic import DynamicConfig, config_from, dynamic_bpc, gradient_ms  # noqa: E402
from models.text.train import evaluate_bpc  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    model, vocab, _ = checkpoint.load(tiny_model_dir / "wiki_writer.keras")
    return model, vocab


def test_without_steps_it_is_the_static_score(tiny):
    model, vocab = tiny
    ids = vocab.encode_array(" = Valkyria Chronicles = \n The game is a tactical role @-@ playing game . " * 8)
    static, n = evaluate_bpc(model, ids, batch=2, seq_len=20)
    dynamic, m = dynamic_bpc(model, ids, DynamicConfig(method="sgd", lr=0.0, decay=0.0, seg_len=20, streams=2))
    assert n == m
    assert dynamic == pytest.approx(static, abs=1e-5)


def test_it_learns_a_repeated_passage_and_restores_the_weights(tiny):
    model, vocab = tiny
    rng = np.random.default_rng(0)
    # A passage the model cannot know, read four times over.
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz    "))
    passage = "".join(rng.choice(letters, 300))
    ids = vocab.encode_array(passage * 4)
    before = [w.copy() for w in model.get_weights()]
    static, _ = evaluate_bpc(model, ids, batch=1, seq_len=25)
    adapted, _ = dynamic_bpc(model, ids, DynamicConfig(method="sgd", lr=0.3, decay=0.0, seg_len=25, streams=1))
    assert adapted < static - 0.3
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_each_character_is_scored_before_the_model_sees_it(tiny):
    model, vocab = tiny
    head = "The game began development in 2010 , carrying over a large portion of the work . "
    ids_a = vocab.encode_array(head + "Its story was darker and more somber than that of its predecessor .")
    ids_b = vocab.encode_array(head + "Xq zz qqq xxx zzz qqqq xx zq qz qqqzz xxxz zzzx qq xx zz q x z qqq z x")
    cfg = DynamicConfig(method="sgd", lr=0.3, decay=0.01, seg_len=10, streams=1)
    seen: dict[str, list] = {"a": [], "b": []}
    dynamic_bpc(model, ids_a, cfg, progress=lambda end, n, bpc: seen["a"].append((end, bpc)))
    dynamic_bpc(model, ids_b, cfg, progress=lambda end, n, bpc: seen["b"].append((end, bpc)))
    prefix = [(e, b) for e, b in seen["a"] if e < len(head)]
    assert len(prefix) >= 7
    assert prefix == [(e, b) for e, b in seen["b"] if e < len(head)]
    assert seen["a"][-1][1] != seen["b"][-1][1]


def test_rms_steps_are_scaled_by_training_gradients(tiny):
    model, vocab = tiny
    train = vocab.encode_array("The game 's battle system , the BliTZ system , is carried over . " * 40)
    ms = gradient_ms(model, train, seg_len=10, batches=3, batch=4)
    assert [m.shape for m in ms] == [v.shape for v in model.trainable_variables]
    assert all(float(np.min(m)) >= 0 for m in ms) and all(float(np.max(m)) > 0 for m in ms)
    ids = train[:600]
    static, _ = evaluate_bpc(model, ids, batch=1, seq_len=10)
    still, _ = dynamic_bpc(model, ids, DynamicConfig(lr=0.0, decay=0.0, seg_len=10), ms=ms)
    assert still == pytest.approx(static, abs=1e-5)
    adapted, _ = dynamic_bpc(model, ids, DynamicConfig(lr=3e-3, decay=3e-3, seg_len=10), ms=ms)
    assert adapted < static - 0.1  # measured 4.42 against 4.65
    with pytest.raises(ValueError, match="gradient_ms"):
        dynamic_bpc(model, ids, DynamicConfig())


def test_settings_come_from_the_sidecar_then_the_command_line():
    cfg = config_from({"lr": 0.2, "streams": 4, "unknown": 1}, lr=None, decay=0.5)
    assert (cfg.lr, cfg.streams, cfg.decay) == (0.2, 4, 0.5)
    for bad in ({"decay": 1.5}, {"method": "adam"}, {"eps": 0.0}):
        with pytest.raises(ValueError):
            DynamicConfig(**bad)


def test_evaluate_dynamic_prints_both_scores(tiny_model_dir, run_json_cli):
    result = run_json_cli("models.text.evaluate", "--checkpoint", str(tiny_model_dir / "wiki_writer.keras"),
                          "--split", "valid", "--max-chars", "3000", "--dynamic", "--dyn-streams", "2",
                          "--dyn-procs", "2", timeout=240)
    assert result["method"] == "dynamic" and result["split"] == "valid"
    assert result["dynamic"]["streams"] == 2 and result["dynamic"]["method"] == "rms"
    assert 0 < result["bpc"] < 8 and 0 < result["static_bpc"] < 8
    # Two shard processes of two streams each: every character but the first of each stream.
    assert result["procs"] == 2 and 2994 <= result["chars"] <= 2999
    assert result["bpc"] == pytest.approx(result["bits"] / result["chars"], abs=1e-3)


@pytest.mark.parametrize("cell", ["keras", "scratch"])
def test_the_segment_gradients_are_those_of_a_tape_over_the_model(cell):
    import tensorflow as tf

    from models.text.char_lstm import CharLSTMConfig, build_model
    from models.text.dynamic import segment_loss_and_grads, tape_loss_and_grads

    model = build_model(CharLSTMConfig(layers=2, units=12, embedding=6, dropout=0.0, cell=cell), vocab_size=23)
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(0, 0.4, w.shape).astype(np.float32) for w in model.get_weights()])
    ids = rng.integers(0, 23, size=(3, 10)).astype(np.int32)
    x, y = tf.constant(ids[:, :-1]), tf.constant(ids[:, 1:])
    states = [tf.constant(rng.normal(0, 0.5, (3, 12)).astype(np.float32)) for _ in range(4)]
    want_nll, want, want_states = tape_loss_and_grads(model, x, y, states)
    nll, grads, new_states = segment_loss_and_grads(model, x, y, states)
    np.testing.assert_allclose(nll.numpy(), want_nll.numpy(), rtol=1e-5, atol=1e-6)
    for got, ref in zip(new_states, want_states, strict=True):
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    assert len(grads) == len(want)
    for v, got, ref in zip(model.trainable_variables, grads, want, strict=True):
        ref = ref.numpy()
        assert np.abs(ref).max() > 0, v.path
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-4, atol=1e-6, err_msg=v.path)
