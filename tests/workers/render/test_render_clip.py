"""render_clip: roll -> MIDI + OGG + MP3 + PNG, the pipeline's entry point."""

import io
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from models.music.genres import get_genre
from models.music.midi_io import midi_bytes_to_roll, midi_file_to_roll
from models.music.pianoroll import NUM_KEYS
from workers.render import clip_title, render_clip
from workers.render.image import render_piano_roll_png
from workers.render.midi import roll_to_tracks

DATA = Path(__file__).resolve().parents[2] / "data"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def excerpt():
    return midi_file_to_roll(DATA / "maple_leaf_excerpt.mid", 4)[0]


def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_render_clip_builtin(excerpt):
    g = get_genre("ragtime")
    out = render_clip(excerpt, g.steps_per_beat, 100, g.programs, genre="ragtime", model="lstm",
                      beats_per_bar=g.beats_per_bar, engine="builtin")
    assert out["engine"] == "builtin"
    assert out["seconds"] == pytest.approx(64 / 4 * 60 / 100)  # 9.6 s
    roll, info = midi_bytes_to_roll(out["midi"], 4)
    assert np.array_equal(roll, excerpt[: roll.shape[0]]) and info["tempo"] == pytest.approx(100)
    for fmt, container in (("ogg", "OGG"), ("mp3", "MP3")):
        meta = sf.info(io.BytesIO(out[fmt]))
        assert meta.format == container
        assert meta.duration == pytest.approx(out["seconds"] + 1.0, abs=0.3)  # + release tail
    assert out["png"].startswith(PNG_MAGIC) and png_size(out["png"]) == (1200, 480)
    assert out["notes"] == int(info["notes"])


def test_render_clip_two_programs_and_size_limit(excerpt):
    out = render_clip(excerpt, 4, 100, (40, 24), engine="builtin", size_limit=20_000, title="folk test")
    assert len(out["ogg"]) <= 20_000 and len(out["mp3"]) <= 20_000
    pm = pretty_midi.PrettyMIDI(io.BytesIO(out["midi"]))
    assert sorted(i.program for i in pm.instruments) == [24, 40]


def test_render_clip_auto_prefers_fluidsynth_when_present(excerpt):
    from models.music.datasets import default_data_dir
    from workers.render.audio import find_soundfont, fluidsynth_available

    out = render_clip(excerpt[:32], 4, 120, (0,), data_dir=default_data_dir())
    expected = "fluidsynth" if fluidsynth_available() and find_soundfont([default_data_dir()]) else "builtin"
    assert out["engine"] == expected


def test_tracks_split_by_top_voice():
    roll = np.zeros((2, NUM_KEYS), np.uint8)
    roll[:, 50] = roll[:, 30] = 1
    (p1, melody), (p2, rest) = roll_to_tracks(roll, 1, (73, 24))
    assert (p1, p2) == (73, 24) and melody.pitch.tolist() == [71] and rest.pitch.tolist() == [51]
    with pytest.raises(ValueError):
        roll_to_tracks(roll, 1, ())


def test_png_of_an_empty_clip_and_title():
    empty = roll_to_tracks(np.zeros((16, NUM_KEYS), np.uint8), 4)[0][1]
    png = render_piano_roll_png(empty, title="nothing", primer_beats=1.0, total_beats=4.0)
    assert png.startswith(PNG_MAGIC)
    assert clip_title("classical_piano", "rnn_rbm", 96) == "Classical piano · rnn_rbm · 96 bpm"
    assert clip_title() == ""
