"""Music jobs through the pipeline, without Celery: tiny LSTM composer -> MIDI, OGG, PNG."""

from __future__ import annotations

import numpy as np
import pytest

from workers import contracts, pipeline
from workers.contracts import ComposeJob, ContinueJob, ErrorResult, MusicResult
from workers.settings import load_settings


@pytest.fixture(scope="module")
def settings(tiny_music_model_dir):
    return load_settings({"MODEL_DIR": str(tiny_music_model_dir)})


def _compose(**overrides) -> ComposeJob:
    base = {"job_id": contracts.new_job_id(), "genre": "chorale", "model": "lstm", "seconds": 10, "rng_seed": 4}
    return ComposeJob(**{**base, **overrides})


@pytest.fixture(scope="module")
def composed(settings) -> MusicResult:
    phases = []
    result = pipeline.run_compose(_compose(), settings, lambda p: phases.append(p.phase))
    assert isinstance(result, MusicResult), result
    assert phases == ["loading", "composing", "rendering"]
    return result


def _midi(result: MusicResult) -> bytes:
    return next(a.data for a in result.attachments if a.mime == "audio/midi")


def test_compose_renders_audio_midi_and_png_in_that_order(composed):
    stem = contracts.clip_stem("chorale", composed.job_id)
    assert [(a.name, a.mime) for a in composed.attachments] == [
        (f"{stem}.ogg", "audio/ogg"), (f"{stem}.mid", "audio/midi"), (f"{stem}.png", "image/png")]
    ogg, midi, png = (a.data for a in composed.attachments)
    assert (ogg[:4], midi[:4], png[:8]) == (b"OggS", b"MThd", b"\x89PNG\r\n\x1a\n")
    assert (composed.genre, composed.model, composed.rng_seed) == ("chorale", "lstm", 4)
    assert 9.0 <= composed.seconds <= 11.0 and composed.bars >= 1
    assert MusicResult.from_json(composed.to_json()) == composed


def test_compose_is_reproducible_and_best_picks_the_shipped_kind(settings, composed):
    again = pipeline.run_compose(_compose(model="best"), settings)
    assert isinstance(again, MusicResult) and again.model == "lstm"
    assert _midi(again) == _midi(composed)


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"genre": "polka"}, contracts.ERR_BAD_INPUT),
        ({"model": "gpt"}, contracts.ERR_BAD_INPUT),
        ({"seconds": contracts.MUSIC_SECONDS_MAX + 1}, contracts.ERR_BAD_INPUT),
        ({"bars": 0}, contracts.ERR_BAD_INPUT),
        ({"tempo": 10}, contracts.ERR_BAD_INPUT),
        ({"temperature": 9.0}, contracts.ERR_BAD_INPUT),
        ({"genre": "folk"}, contracts.ERR_MODEL_MISSING),  # no tiny folk checkpoint
        ({"model": "rbm"}, contracts.ERR_MODEL_MISSING),
    ],
)
def test_compose_errors(settings, overrides, code):
    result = pipeline.run_compose(_compose(**overrides), settings)
    assert isinstance(result, ErrorResult) and result.code == code, result


def test_a_kind_the_genre_lacks_is_refused_with_the_kinds_it_has(tiny_music_model_dir, tmp_path):
    import json
    import shutil

    for f in tiny_music_model_dir.glob("music_lstm_chorale.*"):
        (tmp_path / f.name).symlink_to(f)
    # A placeholder beside it, trained one epoch on its time budget: its files are there, it is not offered.
    shutil.copy(tiny_music_model_dir / "music_lstm_chorale.keras", tmp_path / "music_rbm_chorale.keras")
    (tmp_path / "music_rbm_chorale.json").write_text(json.dumps(
        {"kind": "rbm", "genre": "chorale", "metrics": {"stopped": "time", "epochs": 1, "steps": 30}}))
    settings = load_settings({"MODEL_DIR": str(tmp_path)})
    for model in ("rbm", "nade"):
        result = pipeline.run_compose(_compose(model=model), settings)
        assert isinstance(result, ErrorResult) and result.code == contracts.ERR_MODEL_MISSING, result
        assert result.message == (f"The genre chorale has no {model} model. Its models: lstm, or best "
                                  "(the default).")
        assert result.fields == {"genre": "chorale", "model": model, "kinds": "lstm"}
    best = pipeline.run_compose(_compose(model="best", seconds=5), settings)
    assert isinstance(best, MusicResult) and best.model == "lstm"
    none = pipeline.run_compose(_compose(genre="folk", model="rbm"), settings)
    assert isinstance(none, ErrorResult) and "No trained model for the genre 'folk'" in none.message


def test_continue_extends_an_uploaded_midi(settings, composed):
    job = ContinueJob(job_id="c-1", midi_b64=contracts.b64encode(_midi(composed)), bars=2, genre="chorale",
                      rng_seed=1)
    result = pipeline.run_continue(job, settings)
    assert isinstance(result, MusicResult), result
    assert result.primer_seconds > 0 and result.seconds > result.primer_seconds
    assert _midi(result)[:4] == b"MThd"


@pytest.mark.parametrize(
    "midi_b64, words",
    [
        (contracts.b64encode(b"not a midi file at all"), ""),
        ("%%% not base64", "not a midi"),
        (contracts.b64encode(b"MThd" + b"\0" * (contracts.MIDI_UPLOAD_MAX_BYTES + 1)), "limited"),
    ],
)
def test_continue_rejects_bad_uploads(settings, midi_b64, words):
    result = pipeline.run_continue(ContinueJob(job_id="c-2", midi_b64=midi_b64, genre="chorale"), settings)
    assert isinstance(result, ErrorResult) and result.code == contracts.ERR_BAD_MIDI, result
    assert words in result.message.lower()


def test_a_continuation_is_capped_at_the_longest_clip_and_says_so(settings):
    from models.music.midi_io import notes_to_midi_bytes
    from models.music.pianoroll import NoteArrays

    # 64 beats of one note per beat at 40 bpm: asking 64 more bars would make 480 s.
    slow = notes_to_midi_bytes([(0, NoteArrays(np.arange(64.0), np.arange(64.0) + 0.5,
                                                np.full(64, 60, np.int16), np.full(64, 80, np.uint8)))],
                               tempo=40)
    job = ContinueJob(job_id="c-3", midi_b64=contracts.b64encode(slow), bars=64, genre="chorale", rng_seed=2)
    result = pipeline.run_continue(job, settings)
    assert isinstance(result, MusicResult), result
    assert result.tempo == 40 and result.bars < 64
    assert result.seconds <= contracts.MUSIC_SECONDS_MAX + 5  # the last note's release may ring on
    assert result.primer_seconds <= contracts.MUSIC_SECONDS_MAX / 2
    assert "Shortened to" in result.notice and "120 s" in result.notice and "64 bars" in result.notice


@pytest.mark.parametrize("primer, bars, tempo, expected", [
    (64 * 4, 8, 120, (64 * 4, 8)),  # 64 + 32 beats at 120 bpm: 48 s, as asked
    (64 * 4, 64, 40, (40 * 4, 10)),  # 80 beats fit in 120 s: half for the primer, 10 bars new
    (64 * 4, 64, 120, (64 * 4, 44)),  # 240 beats fit: the whole primer, 44 of the 64 bars
    (4, 64, 40, (4, 19)),  # a short primer leaves room for more new bars
])
def test_cap_continuation(primer, bars, tempo, expected):
    assert pipeline.cap_continuation(primer, bars, tempo, steps_per_beat=4, beats_per_bar=4) == expected


def test_continue_samples_at_the_request_temperature_times_the_models_own(tiny_music_model_dir, tmp_path, composed):
    import json
    import os

    sidecar = json.loads((tiny_music_model_dir / "music_lstm_chorale.json").read_text(encoding="utf-8"))
    dirs = {}
    for name, extra in (("plain", {}), ("calibrated", {"sampling": {"temperature": 1.5}})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "music_lstm_chorale.keras").symlink_to(tiny_music_model_dir / "music_lstm_chorale.keras")
        (tmp_path / name / "music_lstm_chorale.json").write_text(json.dumps({**sidecar, **extra}))
        dirs[name] = load_settings({"MODEL_DIR": str(tmp_path / name)})
    upload = contracts.b64encode(_midi(composed))

    def midi(name, temperature):
        job = ContinueJob(job_id="c-4", midi_b64=upload, bars=2, genre="chorale", rng_seed=3, temperature=temperature)
        result = pipeline.run_continue(job, dirs[name])
        assert isinstance(result, MusicResult) and result.model == "lstm", result
        return _midi(result)

    assert midi("calibrated", 0.8) == midi("plain", 1.2)
    assert midi("calibrated", 0.8) != midi("plain", 0.8)
    # a new sidecar is read by the next job, without a restart (the weights are the same file)
    side = tmp_path / "calibrated" / "music_lstm_chorale.json"
    side.write_text(json.dumps({**sidecar, "sampling": {"temperature": 1.0}}))
    os.utime(side, ns=(side.stat().st_atime_ns, side.stat().st_mtime_ns + 10**9))
    assert midi("calibrated", 0.8) == midi("plain", 0.8)
