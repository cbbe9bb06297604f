"""The comparable NLL, best_choice over recorded checks, primed /compose clips, the genre checks."""

from __future__ import annotations

import functools
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from models.music import batches, lstm, nade, quality, rbm, registry, rnn_rbm, seq2seq
from models.music import classifier as clf
from models.music.datasets import NUM_KEYS, load_genre
from tests.models.music.test_registry import write_checkpoint
from tests.models.music.tiny_rolls import random_rolls, tiny_model


def test_lstm_comparable_nll_counts_only_frames_from_start_given_all_before():
    model, config = tiny_model(lstm)
    rolls = random_rolls(4, seed=1, low=12, high=30)
    start = 8
    # reference: the full-piece predictions, NLL summed over frames >= start only
    total, frames = 0.0, 0
    for roll in rolls:
        logits = model(batches.with_start_frame(roll)[None, :-1].astype(np.float32)).numpy()[0]
        x, y = logits[start:].astype(np.float64), roll[start:].astype(np.float64)
        total += float((np.logaddexp(0.0, x) - y * x).sum())
        frames += roll.shape[0] - start
    out = lstm.frame_nll(model, config, rolls, start=start)
    assert out["frames"] == frames
    assert out["nll"] == pytest.approx(total / frames, rel=1e-5)
    assert lstm.frame_nll(model, config, rolls)["frames"] == sum(r.shape[0] - 1 for r in rolls)


def test_every_kind_scores_the_same_frames():
    rolls = random_rolls(5, seed=2, low=6, high=30)  # some pieces no longer than the start
    start = 10
    expected = sum(max(0, r.shape[0] - start) for r in rolls)
    for mod in (lstm, nade, seq2seq):
        model, config = tiny_model(mod)
        assert mod.frame_nll(model, config, rolls, start=start)["frames"] == expected, mod.KIND
    for mod in (rbm, rnn_rbm):
        model, config = tiny_model(mod)
        out = mod.frame_nll(model, config, rolls, start=start, max_frames=10_000, betas=10)
        assert out["frames"] == expected and out["estimate"], mod.KIND


def test_seq2seq_comparable_nll_reads_the_frames_before_start():
    model, config = tiny_model(seq2seq)  # primer_steps 4
    rolls = random_rolls(3, seed=3, low=16, high=30)
    p = config.primer_steps
    # start past the primer window: the same as scoring the piece cut to its last window before start
    start = p + 5
    cut = [r[start - p:] for r in rolls]
    assert seq2seq.frame_nll(model, config, rolls, start=start)["nll"] == pytest.approx(
        seq2seq.frame_nll(model, config, cut)["nll"], rel=1e-5)
    # start inside the primer window: the window is silence-padded on the left, as generate() does
    start = p - 2
    padded = [np.concatenate([np.zeros((2, NUM_KEYS), np.uint8), r]) for r in rolls]
    assert seq2seq.frame_nll(model, config, rolls, start=start)["nll"] == pytest.approx(
        seq2seq.frame_nll(model, config, padded)["nll"], rel=1e-5)


def _set_checks(path, **checks):
    side = registry.sidecar_path(path)
    meta = json.loads(side.read_text())
    meta["checks"] = checks
    side.write_text(json.dumps(meta))


def test_best_choice_without_checks_does_not_let_the_primed_kind_win_on_its_easier_nll(tmp_path):
    write_checkpoint(tmp_path, "lstm", "chorale", 9.5)
    write_checkpoint(tmp_path, "seq2seq", "chorale", 8.9)  # counts only frames after its primer
    kind, reason = registry.best_choice("chorale", directory=tmp_path)
    assert kind == "lstm" and "no genre checks" in reason
    assert registry.best_kind("chorale", ["seq2seq"], directory=tmp_path) == "seq2seq"


def test_best_choice_prefers_passing_checks_then_exact_then_lower_comparable_nll(tmp_path):
    lstm_path = write_checkpoint(tmp_path, "lstm", "folk", 3.0)
    nade_path = write_checkpoint(tmp_path, "nade", "folk", 2.0)
    rbm_path = write_checkpoint(tmp_path, "rbm", "folk", 1.0)
    passing = {"passed": True, "classifier_share": 0.9, "mean_overlap": 0.8}
    _set_checks(lstm_path, comparable_nll=3.2, **passing)
    _set_checks(nade_path, comparable_nll=1.9, passed=False, classifier_share=0.4, mean_overlap=0.8)
    _set_checks(rbm_path, comparable_nll=1.0, estimate=True, **passing)
    kind, reason = registry.best_choice("folk", directory=tmp_path)
    assert kind == "lstm"  # the NADE fails the checks; the RBM's figure is only an AIS estimate
    assert "pass the genre checks" in reason and "3.200" in reason and "90%" in reason
    _set_checks(lstm_path, comparable_nll=3.2, passed=False, classifier_share=0.5, mean_overlap=0.5)
    assert registry.best_kind("folk", directory=tmp_path) == "rbm"
    _set_checks(rbm_path, comparable_nll=1.0, estimate=True, passed=False)
    kind, reason = registry.best_choice("folk", directory=tmp_path)
    assert kind == "nade" and reason.startswith("no kind's clips pass")
    # the choice and its reason go into every sidecar of the genre
    quality.write_default("folk", tmp_path)
    defaults = {k: registry.read_sidecar(p)["default"] for (k, _), p in registry.shipped(tmp_path).items()}
    assert {k: d["chosen"] for k, d in defaults.items()} == {"lstm": False, "nade": True, "rbm": False}
    assert {d["reason"] for d in defaults.values()} == {reason}


def test_compose_primes_seq2seq_with_a_bar_of_the_best_from_silence_kind(tmp_path):
    write_checkpoint(tmp_path, "seq2seq", "chorale", 1.0)
    with pytest.raises(FileNotFoundError):
        registry.compose("seq2seq", "chorale", 12, seed=3, directory=tmp_path)
    write_checkpoint(tmp_path, "lstm", "chorale", 9.0)
    bar = registry.bar_steps("chorale")
    clip = registry.compose("seq2seq", "chorale", 12, seed=3, directory=tmp_path)
    assert clip.shape == (12, NUM_KEYS)
    lead, lead_config, _ = registry.load(registry.checkpoint_path("lstm", "chorale", tmp_path))
    first = lstm.generate(lead, lead_config, bar, seed=3)
    np.testing.assert_array_equal(clip[:bar], first)
    model, config, _ = registry.load(registry.checkpoint_path("seq2seq", "chorale", tmp_path))
    np.testing.assert_array_equal(clip[bar:], seq2seq.generate(model, config, 12 - bar, seed=3, primer=first))
    # from-silence kinds are unchanged
    np.testing.assert_array_equal(registry.compose("lstm", "chorale", 12, seed=3, directory=tmp_path),
                                  lstm.generate(lead, lead_config, 12, seed=3))


@pytest.fixture(scope="module")
def shipped_classifier():
    return clf.load()


def test_real_clips_pass_the_checks_and_silence_fails(shipped_classifier):
    real = clf.real_clips(load_genre("folk")["test"], clf.clip_steps("folk"))[:40]
    checks = quality.check_clips("folk", real, shipped_classifier)
    assert checks["classifier_usable"] and checks["classifier_share"] >= 0.9
    assert checks["mean_overlap"] >= quality.OVERLAP_TARGET and checks["passed"]
    held = np.zeros((clf.clip_steps("folk"), NUM_KEYS), np.uint8)
    held[:, 39] = 1  # one key held for the whole clip
    checks = quality.check_clips("folk", [held] * 10, shipped_classifier)
    assert not checks["passed"] and checks["mean_overlap"] < quality.OVERLAP_TARGET


def test_best_choice_falls_back_to_the_kind_closest_to_passing_then_lower_comparable_nll(tmp_path):
    paths = {kind: write_checkpoint(tmp_path, kind, "classical", 8.0) for kind in ("lstm", "seq2seq", "nade")}
    # seq2seq: the lowest NLL, but 52 points short of the share and 9.5 of the overlap target
    _set_checks(paths["seq2seq"], comparable_nll=7.5, passed=False, classifier_share=0.18, mean_overlap=0.605)
    # lstm: share 36 points short, overlap met
    _set_checks(paths["lstm"], comparable_nll=7.8, passed=False, classifier_share=0.34, mean_overlap=0.709)
    _set_checks(paths["nade"], comparable_nll=12.8, passed=False, classifier_share=0.0, mean_overlap=0.24)
    kind, reason = registry.best_choice("classical", directory=tmp_path)
    assert kind == "lstm"
    assert reason.startswith("no kind's clips pass the genre checks: the closest to passing")
    assert "7.800" in reason and "34%" in reason and "0.360 short of the targets" in reason and "overlap 0.709" in reason
    assert registry.shortfall({"classifier_share": 0.9, "mean_overlap": 0.75}) == 0.0
    assert registry.shortfall({}) == registry.shortfall({"classifier_share": 0.0, "mean_overlap": 0.0}) > 0
    # the same shortfall: the lower comparable NLL breaks the tie
    _set_checks(paths["seq2seq"], comparable_nll=7.5, passed=False, classifier_share=0.34, mean_overlap=0.709)
    assert registry.best_kind("classical", directory=tmp_path) == "seq2seq"


def test_genre_checks_samples_replace_the_genres_earlier_default_and_render_with_fluidsynth(tmp_path):
    import importlib.util
    from pathlib import Path

    from workers.render.audio import find_soundfont, fluidsynth_available

    if not (fluidsynth_available() and find_soundfont()):
        pytest.skip("FluidSynth or a General MIDI SoundFont is not installed")
    spec = importlib.util.spec_from_file_location(
        "music_genre_checks", Path(__file__).resolve().parents[3] / "bench" / "music_genre_checks.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    models, samples = tmp_path / "models", tmp_path / "samples"
    models.mkdir()
    write_checkpoint(models, "lstm", "folk", 3.0)
    samples.mkdir()
    for name in ("default_nade_folk.mid", "default_nade_folk.ogg", "default_nade_chorale.ogg"):
        (samples / name).write_bytes(b"earlier")
    bench.write_sample("lstm", "folk", samples, registry.load, models)
    assert sorted(p.name for p in samples.iterdir()) == [
        "default_lstm_folk.mid", "default_lstm_folk.ogg", "default_nade_chorale.ogg"]
    assert (samples / "default_lstm_folk.ogg").read_bytes()[:4] == b"OggS"
    assert (samples / "default_lstm_folk.mid").read_bytes()[:4] == b"MThd"


def _sparse_lstm(tmp_path, genre="chorale", sampling=None):
    """A tiny LSTM checkpoint whose keys each sound with probability about 0.05."""
    path = write_checkpoint(tmp_path, "lstm", genre, 9.0)
    model, config, sidecar = registry.load(path)
    kernel, _ = model.get_layer("logits").get_weights()
    model.get_layer("logits").set_weights([kernel * 0.1, np.full(NUM_KEYS, -3.0, np.float32)])
    model.save(path)
    if sampling is not None:
        quality.write_sampling(path, {"temperature": sampling})
    return path


def test_compose_multiplies_the_request_temperature_by_the_models_own(tmp_path):
    path = _sparse_lstm(tmp_path, sampling=1.6)
    model, config, sidecar = registry.load(path)
    assert registry.sampling_temperature(sidecar) == 1.6
    assert sidecar["sampling"]["date"]
    clip = registry.compose("lstm", "chorale", 24, temperature=0.75, seed=5, directory=tmp_path)
    np.testing.assert_array_equal(clip, lstm.generate(model, config, 24, temperature=1.2, seed=5))
    assert not np.array_equal(clip, lstm.generate(model, config, 24, temperature=0.75, seed=5))
    # the primer of an encoder-decoder comes from its lead at the lead's own temperature
    write_checkpoint(tmp_path, "seq2seq", "chorale", 1.0)
    bar = registry.bar_steps("chorale")
    primed = registry.compose("seq2seq", "chorale", 24, seed=5, directory=tmp_path)
    np.testing.assert_array_equal(primed[:bar], lstm.generate(model, config, bar, temperature=1.6, seed=5))
    assert registry.sampling_temperature({}) == 1.0  # no calibration: the request's own


def test_calibration_finds_the_temperature_whose_clips_have_the_target_density(tmp_path):
    _sparse_lstm(tmp_path, sampling=0.5)  # an earlier calibration does not bias the search
    steps = clf.clip_steps("chorale")
    g = registry.genre_info("chorale")
    seeds = range(1000, 1003)
    load = functools.cache(registry.load)  # one model, so one compiled sampler

    def density(temperature):
        path = registry.checkpoint_path("lstm", "chorale", tmp_path)
        model, config, _ = load(path)
        rolls = [lstm.generate(model, config, steps, temperature=temperature, seed=s) for s in seeds]
        from models.music.metrics import sample_statistics
        return float(np.mean([sample_statistics(r, g["steps_per_beat"], beats_per_bar=g["beats_per_bar"])
                              ["note_density"] for r in rolls]))

    target = density(1.3)
    found = quality.calibrate_temperature("lstm", "chorale", seeds=seeds, iterations=5, target=target,
                                          loader=load, directory=tmp_path)
    assert abs(found["temperature"] - 1.3) < 0.06, found
    assert abs(found["density"] - target) < 0.05 * target
    assert found["density_at_1"] < target and found["seeds"] == [1000, 1002]
    # out of reach within the bounds: the bound
    assert quality.calibrate_temperature("lstm", "chorale", seeds=seeds, target=1e6, loader=load,
                                         directory=tmp_path)["temperature"] == quality.CALIBRATION_BOUNDS[1]


def test_clips_made_with_the_default_loader_load_the_checkpoint_once(tmp_path, monkeypatch):
    import keras

    write_checkpoint(tmp_path, "lstm", "chorale", 1.0)
    real, calls = keras.saving.load_model, []
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: calls.append(a) or real(*a, **k))
    clips = quality.make_clips("lstm", "chorale", 3, directory=tmp_path)
    assert len(clips) == 3 and len(calls) == 1
    assert not np.array_equal(clips[0], clips[1])  # one model, still a seed per clip
