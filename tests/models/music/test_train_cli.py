"""The training and evaluation CLIs: sidecar contents, resume, the evaluation JSON line."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import pytest

from models.music import evaluate, registry, train

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_train_writes_checkpoint_and_sidecar_then_resumes(tmp_path, capsys):
    out, run = tmp_path / "out", tmp_path / "run"
    args = ["--model", "seq2seq", "--genre", "chorale", "--config", "tiny", "--out", str(out),
            "--run-dir", str(run), "--no-progress", "--set", "max_epochs=1"]
    assert train.main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    path = out / "music_seq2seq_chorale.keras"
    assert summary["checkpoint"] == str(path) and path.exists()
    side = registry.read_sidecar(path)
    assert side["kind"] == "seq2seq" and side["genre"] == "chorale" and side["dataset"] == "jsb"
    assert side["steps_per_beat"] == 1 and side["config"]["max_epochs"] == 1
    m = side["metrics"]
    assert m["epochs"] == 1 and m["train_valid_gap"] == m["valid_nll"] - m["train_nll"]
    assert m["test_frames"] > 0 and m["test_primer_steps"] == side["config"]["primer_steps"]
    assert side["hardware"] and side["date"] and side["wall_seconds"] >= 0
    assert (run / "state.json").exists() and (run / "resume.keras").exists()

    assert train.main([*args[:-1], "max_epochs=2", "--resume"]) == 0
    capsys.readouterr()
    side = registry.read_sidecar(path)
    assert side["metrics"]["epochs"] == 2 and side["config"]["max_epochs"] == 2


def test_evaluate_prints_one_json_line(tiny_music_model_dir, capsys):
    ckpt = tiny_music_model_dir / "music_lstm_chorale.keras"
    assert evaluate.main(["--model", "lstm", "--dataset", "jsb", "--split", "valid",
                          "--checkpoint", str(ckpt)]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert {"model": "lstm", "dataset": "jsb", "split": "valid"}.items() <= line.items()
    assert line["frames"] == 4602 - 76  # T - 1 per piece, 76 valid pieces
    assert 0 < line["nll"] < 61.0  # better than a coin flip per key once trained
    assert "primer_steps" not in line and "estimate" not in line and "train_data" not in line


def test_evaluate_start_scores_the_frames_after_4_bars(tiny_music_model_dir, capsys):
    ckpt = tiny_music_model_dir / "music_lstm_chorale.keras"
    assert evaluate.main(["--model", "lstm", "--dataset", "jsb", "--split", "valid",
                          "--checkpoint", str(ckpt), "--start", "16"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["start"] == 16 and line["frames"] == 4602 - 16 * 76  # every valid piece is longer


def test_evaluate_cli_as_a_process(tiny_music_model_dir, run_json_cli):
    ckpt = tiny_music_model_dir / "music_lstm_chorale.keras"
    result = run_json_cli("models.music.evaluate", "--model", "lstm", "--dataset", "jsb", "--split", "test",
                          "--checkpoint", str(ckpt))
    assert result["split"] == "test" and result["frames"] == 4725 - 77


@pytest.mark.slow
def test_init_from_fine_tunes_and_never_ships_worse_weights(tiny_music_model_dir, tmp_path, capsys):
    start = tiny_music_model_dir / "music_lstm_chorale.keras"
    before = registry.read_sidecar(start)
    out = tmp_path / "out"
    # A learning rate this large wrecks the weights in one epoch: the fine-tune must then
    # keep the weights it started from, whose validation NLL it measures first.
    args = ["--model", "lstm", "--genre", "chorale", "--init-from", str(start), "--out", str(out),
            "--run-dir", str(tmp_path / "run"), "--no-progress",
            "--set", "max_epochs=1", "--set", "learning_rate=5.0", "--set", "clip_norm=0"]
    assert train.main(args) == 0
    capsys.readouterr()
    side = registry.read_sidecar(out / "music_lstm_chorale.keras")
    assert side["config"]["units"] == before["config"]["units"]  # config from the checkpoint
    assert side["config"]["learning_rate"] == 5.0 and "--init-from" in side["command"]
    m = side["metrics"]
    assert m["epochs"] == 1 and m["best_epoch"] == 0
    assert m["valid_nll"] == pytest.approx(before["metrics"]["valid_nll"], abs=1e-4)
    assert m["test_nll"] == pytest.approx(before["metrics"]["test_nll"], abs=1e-4)

    with pytest.raises(SystemExit):
        train.main(["--model", "nade", "--genre", "chorale", "--init-from", str(start), "--out", str(out)])


@pytest.mark.slow
def test_init_from_with_more_hidden_units_widens_the_rnn_rbm(tmp_path, capsys):
    first = ["--model", "rnn_rbm", "--genre", "chorale", "--config", "tiny", "--out", str(tmp_path / "a"),
             "--run-dir", str(tmp_path / "run_a"), "--no-progress", "--set", "max_epochs=1"]
    assert train.main(first) == 0
    start = tmp_path / "a" / "music_rnn_rbm_chorale.keras"
    hidden = registry.read_sidecar(start)["config"]["hidden"]
    assert train.main(["--model", "rnn_rbm", "--genre", "chorale", "--init-from", str(start),
                       "--out", str(tmp_path / "b"), "--run-dir", str(tmp_path / "run_b"), "--no-progress",
                       "--set", "max_epochs=1", "--set", f"hidden={hidden + 5}"]) == 0
    assert "widened the RBM" in capsys.readouterr().err
    path = tmp_path / "b" / "music_rnn_rbm_chorale.keras"
    model, config, side = registry.load(path)
    assert config.hidden == side["config"]["hidden"] == hidden + 5
    assert tuple(model.get_layer("rbm").w.shape) == (88, hidden + 5)


@pytest.mark.slow
def test_init_from_with_new_dropout_trains_a_model_built_with_it(tiny_music_model_dir, tmp_path, capsys):
    # A loaded model keeps the layers it was saved with: without a rebuild, --set
    # dropout / input_dropout would change the sidecar's config and nothing else.
    start = tiny_music_model_dir / "music_lstm_chorale.keras"
    before, _, _ = registry.load(start)
    assert not any(layer.name == "input_dropout" for layer in before.layers)
    out = tmp_path / "out"
    assert train.main(["--model", "lstm", "--genre", "chorale", "--init-from", str(start), "--out", str(out),
                       "--run-dir", str(tmp_path / "run"), "--no-progress", "--set", "max_epochs=1",
                       "--set", "input_dropout=0.25", "--set", "dropout=0.375"]) == 0
    capsys.readouterr()
    model, config, side = registry.load(out / "music_lstm_chorale.keras")
    assert config.input_dropout == 0.25 and side["config"]["dropout"] == 0.375
    rates = {layer.name: layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)}
    assert rates.pop("input_dropout") == 0.25
    assert rates and set(rates.values()) == {0.375}
