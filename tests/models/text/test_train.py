"""Tiny training run, checkpoint round trip, exact resume, and the evaluate CLI."""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from models.text import checkpoint  # noqa: E402
from models.text.generate import TextGenerator  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_tiny_checkpoint_round_trip_and_sidecar(tiny_model_dir, tmp_path):
    model, vocab, meta = checkpoint.load(tiny_model_dir / "wiki_writer.keras")
    for key in ("vocab", "config", "params", "steps", "train_seconds", "hardware", "valid_bpc",
                "test_bpc", "learning_curve"):
        assert key in meta, key
    assert meta["steps"] == 40 and meta["params"] == model.count_params()
    assert 0 < meta["test_bpc"] < 8
    # Save again and load: same weights, same vocabulary, same samples.
    path = checkpoint.save(tmp_path, "copy", model, vocab, {"note": "x"})
    again, vocab2, meta2 = checkpoint.load(path)
    assert vocab2 == vocab and meta2["note"] == "x"
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    seed = "I plan to make the world a better place by"
    text = TextGenerator(model, vocab).generate([seed], 80, seed=4)
    assert text == TextGenerator(again, vocab2).generate([seed], 80, seed=4)
    assert text[0].startswith(seed)


def _run(out: Path, *extra: str) -> None:
    from models.text import train

    assert train.main(["--config", "tiny", "--out", str(out), "--steps", "12", "--no-progress",
                       *extra]) == 0


def test_resume_continues_exactly(tmp_path):
    _run(tmp_path / "straight")
    _run(tmp_path / "split", "--stop-after", "5")
    _run(tmp_path / "split", "--resume")
    a = np.load(tmp_path / "straight" / "run" / "resume.npz")
    b = np.load(tmp_path / "split" / "run" / "resume.npz")
    assert sorted(a.files) == sorted(b.files)
    for name in a.files:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    state = json.loads((tmp_path / "split" / "run" / "resume.json").read_text())
    assert state["step"] == 12


def test_evaluate_prints_one_json_line(tiny_model_dir, run_json_cli):
    result = run_json_cli("models.text.evaluate", "--checkpoint", str(tiny_model_dir / "wiki_writer.keras"),
                          "--split", "test", "--max-chars", "5000", timeout=120)
    assert result["dataset"] == "wikitext-2-raw" and result["split"] == "test"
    assert result["method"] == "static"
    assert 0 < result["bpc"] < 8 and 4900 < result["chars"] <= 5000


def test_scratch_cell_model_saves_and_loads(tmp_path):
    from models.text.char_lstm import build_model, get_config
    from models.text.lstm_cell import ScratchLSTM
    from models.text.vocab import Vocab

    vocab = Vocab.from_text("abc def\n = ")
    model = build_model(get_config("tiny_scratch"), len(vocab))
    assert all(isinstance(rnn, ScratchLSTM) for rnn in model.rnns)
    again, _, _ = checkpoint.load(checkpoint.save(tmp_path, "s", model, vocab, {}))
    assert isinstance(again.rnns[0], ScratchLSTM)
    ids = np.array([vocab.encode("abc def")], np.int32)
    np.testing.assert_allclose(model(ids)[0], again(ids)[0], rtol=1e-6)


def test_learning_rate_decays_by_steps_or_time_budget():
    from models.text.char_lstm import CharLSTMConfig
    from models.text.train import lr_at

    cfg = CharLSTMConfig(lr=1e-2, min_lr_ratio=0.1, warmup_steps=10, steps=1010, max_minutes=10.0)
    assert lr_at(0, cfg) == 1e-3  # warm-up
    assert abs(lr_at(10, cfg) - 1e-2) < 1e-12
    assert abs(lr_at(510, cfg) - 0.55e-2) < 1e-9  # half way by steps
    assert abs(lr_at(1010, cfg) - 1e-3) < 1e-12
    # A slow machine: at step 110 of 1010 the time budget is already spent -> fully decayed.
    assert abs(lr_at(110, cfg, elapsed_s=600.0) - 1e-3) < 1e-12
    assert abs(lr_at(110, cfg, elapsed_s=300.0) - 0.55e-2) < 1e-9
    # Steps ahead of time: steps win.
    assert lr_at(1010, cfg, elapsed_s=1.0) == lr_at(1010, cfg)
    # No time budget: elapsed time is ignored.
    cfg.max_minutes = 0.0
    assert lr_at(110, cfg, elapsed_s=1e9) == lr_at(110, cfg)


def test_mixed_bfloat16_training_exports_a_float32_checkpoint(tmp_path):
    import keras

    try:
        _run(tmp_path, "--precision", "mixed_bfloat16")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model, vocab, meta = checkpoint.load(tmp_path / "wiki_writer.keras")
    assert meta["config"]["precision"] == "mixed_bfloat16"
    assert model.compute_dtype == "float32"
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert 0 < meta["test_bpc"] < 8
    text = TextGenerator(model, vocab).generate(["The "], 40, seed=1)
    assert text[0].startswith("The ") and len(text[0]) > 4


def test_init_from_warm_starts_a_new_run_and_counts_totals(tmp_path):
    _run(tmp_path / "first")
    first, vocab, meta = checkpoint.load(tmp_path / "first" / "wiki_writer.keras")
    _run(tmp_path / "second", "--init-from", str(tmp_path / "first" / "wiki_writer.keras"))
    second, vocab2, meta2 = checkpoint.load(tmp_path / "second" / "wiki_writer.keras")
    assert vocab2 == vocab
    assert meta2["init_from"]["steps"] == meta["steps"] == 12
    assert meta2["total_steps"] == 24
    assert meta2["total_train_chars"] == 2 * meta["train_chars"]
    # It trained on from the first run's weights (12 more steps: lower valid bpc).
    changed = [np.abs(a - b).max() for a, b in zip(first.get_weights(), second.get_weights(), strict=True)]
    assert max(changed) > 0
    assert meta2["valid_bpc"] < meta["valid_bpc"]


def test_spell_unk_trains_on_the_spelled_split_and_records_it(tmp_path, capsys):
    _run(tmp_path, "--spell-unk", "5")
    assert "spelling" in capsys.readouterr().out
    meta = json.loads((tmp_path / "wiki_writer.json").read_text())
    assert meta["config"]["spell_unk"] == 5
    assert "each <unk> spelled as a train word seen <= 5 times" in meta["dataset"]


def test_unk_spelled_from_wordfreq_trains_and_records_it(tmp_path, capsys):
    _run(tmp_path, "--spell-unk", "5", "--unk-lexicon", "wordfreq")
    assert "each as a rare wordfreq word" in capsys.readouterr().out
    meta = json.loads((tmp_path / "wiki_writer.json").read_text())
    assert meta["config"]["unk_lexicon"] == "wordfreq"
    assert "each <unk> spelled as a rare wordfreq word (frequency <= 1e-6" in meta["dataset"]


def test_earlier_config_names_still_resolve():
    from models.text.char_lstm import CONFIG_ALIASES, CONFIGS, get_config

    for old, new in CONFIG_ALIASES.items():
        assert old not in CONFIGS and get_config(old) == get_config(new)


ZEN2_FLAGS = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma f16c\n"
BF16_FLAGS = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile\n"


def test_a_config_s_mixed_bfloat16_falls_back_to_float32_without_native_bfloat16(capsys):
    from models.text.train import bf16_native, cpu_precision

    assert bf16_native(ZEN2_FLAGS) is False and bf16_native(BF16_FLAGS) is True
    assert bf16_native("processor\t: 0\n") is None  # no flags line: unknown, keep the config
    assert cpu_precision("mixed_bfloat16", explicit=False, cpuinfo=ZEN2_FLAGS) == "float32"
    assert "float32 instead" in capsys.readouterr().err
    # Asked for on the command line, it is kept, with a warning.
    assert cpu_precision("mixed_bfloat16", explicit=True, cpuinfo=ZEN2_FLAGS) == "mixed_bfloat16"
    assert "emulated" in capsys.readouterr().err
    for info in (BF16_FLAGS, "processor\t: 0\n"):
        assert cpu_precision("mixed_bfloat16", explicit=False, cpuinfo=info) == "mixed_bfloat16"
    assert cpu_precision("float32", explicit=False, cpuinfo=ZEN2_FLAGS) == "float32"
    assert capsys.readouterr().err == ""
