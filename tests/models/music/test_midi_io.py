"""MIDI bytes <-> rolls on small real files (tests/data), and the upload guards."""

import io
import time
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from models.music.midi_io import (
    MIDIConversionError,
    MidiLimits,
    midi_bytes_to_notes,
    midi_bytes_to_roll,
    midi_file_to_roll,
    roll_to_midi_bytes,
    roll_to_midi_file,
    split_top_voice,
)
from models.music.pianoroll import NUM_KEYS, NoteArrays

DATA = Path(__file__).resolve().parents[2] / "data"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def pretty_midi_notes(data: bytes) -> list[tuple[float, float, int, int]]:
    """Reference reading: pretty_midi, in beats, drums skipped, on the keyboard."""
    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    res = pm.resolution
    return sorted(
        (pm.time_to_tick(n.start) / res, pm.time_to_tick(n.end) / res, n.pitch, n.velocity)
        for inst in pm.instruments
        if not inst.is_drum
        for n in inst.notes
        if 21 <= n.pitch <= 108
    )


@pytest.mark.parametrize("name", ["maple_leaf_excerpt.mid", "band.mid"])
def test_reader_matches_pretty_midi(name):
    notes, info = midi_bytes_to_notes(read(name))
    mine = sorted(zip(notes.start.tolist(), notes.end.tolist(), notes.pitch.tolist(), notes.velocity.tolist(), strict=True))
    ref = pretty_midi_notes(read(name))
    assert len(mine) == len(ref)
    assert np.allclose(np.array(mine), np.array(ref))


def test_maple_leaf_excerpt_roll_and_info():
    roll, info = midi_bytes_to_roll(read("maple_leaf_excerpt.mid"), 4)
    assert roll.shape == (64, NUM_KEYS)  # 8 bars of 2/4 in sixteenths
    assert info["tempo"] == 120.0 and info["time_signature"] == [2, 4]
    assert info["notes"] == 110 and len(info["instruments"]) == 2
    assert info["seconds"] == pytest.approx(8.0, abs=0.01)
    # the famous opening: A-flat major region, the left hand down to A-flat 2 (MIDI 44)
    assert roll[:, 44 - 21].any()


def test_band_skips_drums_and_merges_instruments():
    roll, info = midi_bytes_to_roll(read("band.mid"), 2)
    assert info["drum_notes"] == 8
    assert {i["program"] for i in info["instruments"]} == {0, 32}
    assert info["program"] == 0  # piano plays most notes
    assert info["notes"] == 32
    assert roll[:, 36 - 21].any()  # bass C2 merged in


def test_running_status_velocity_zero_and_restrike():
    notes, _ = midi_bytes_to_notes(read("running_status.mid"))
    got = [(s, e, int(p)) for s, e, p in zip(notes.start, notes.end, notes.pitch, strict=True)]
    assert got == [(0.0, 1.0, 60), (1.0, 2.0, 64), (1.0, 2.0, 67), (2.0, 2.5, 60), (2.5, 3.0, 60)]


def test_tempo_zero_is_ignored_with_a_warning():
    roll, info = midi_bytes_to_roll(read("tempo_zero.mid"), 1)
    assert info["tempo"] == 120.0 and roll.sum() == 1
    assert any("tempo" in w for w in info["warnings"])


def test_truncated_file_keeps_what_was_read():
    roll, info = midi_bytes_to_roll(read("truncated.mid"), 4)
    assert 0 < info["notes"] < 110 and info["warnings"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("drums_only.mid", "only drums"),
        ("no_notes.mid", "no notes"),
        ("smpte.mid", "SMPTE"),
        ("huge_delta.mid", "longer than"),
    ],
)
def test_bad_files_raise_one_error_type(name, message):
    with pytest.raises(MIDIConversionError, match=message):
        midi_bytes_to_roll(read(name), 4)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x00RMIDdata", "RIFF"),
        (b"hello world, not midi", "not a Standard MIDI"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x00", "0 ticks"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x60", "no tracks"),
        ("text", "bytes"),
    ],
)
def test_garbage_raises(data, message):
    with pytest.raises(MIDIConversionError, match=message):
        midi_bytes_to_roll(data, 4)


def _smf(track: bytes, division: int = 480) -> bytes:
    """A format-0 file of one track (hand-assembled, as tests/data/make_midi.py does)."""
    return (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01" + division.to_bytes(2, "big")
            + b"MTrk" + len(track).to_bytes(4, "big") + track)


NOTE_ON_60 = b"\x00\x90\x3c\x40\x60\x80\x3c\x00"  # one quarter-ish note, then its note-off


@pytest.mark.parametrize("events", [b"\x00\x80\x3c\x00" * 100, b"\x00\x90\x3c\x00" * 100])
def test_only_note_offs_are_not_called_drums(events):
    # 100 note-offs (or velocity-0 note-ons) of key 60: no note ever sounds, and no drum either.
    with pytest.raises(MIDIConversionError) as caught:
        midi_bytes_to_roll(_smf(events + b"\x00\xff\x2f\x00"), 4)
    message = str(caught.value)
    assert "drums" not in message
    assert "no notes" in message and "100 note event(s) only switch notes off" in message


@pytest.mark.parametrize("track, fault", [
    (b"\x00\xff\x01\x40hello", "a meta event runs past the end of its track"),
    (b"\x00\xf0\x7f\x01\x02", "a system-exclusive message runs past the end of its track"),
    (b"\xff\xff\xff\xff\x7f\x90\x3c\x40", "bad variable-length number"),
])
def test_a_corrupt_track_without_notes_says_what_is_wrong(track, fault):
    with pytest.raises(MIDIConversionError) as caught:
        midi_bytes_to_roll(_smf(track), 4)
    assert str(caught.value) == f"The MIDI file is corrupt ({fault} in track 1)."


def test_garbage_after_the_music_still_keeps_the_music():
    roll, info = midi_bytes_to_roll(_smf(NOTE_ON_60 + b"\x00\xf0\x7f\x01"), 4)
    assert info["notes"] == 1 and roll.any()
    assert any("system-exclusive" in w for w in info["warnings"])


def test_caps():
    data = read("maple_leaf_excerpt.mid")
    with pytest.raises(MIDIConversionError, match="limit is"):
        midi_bytes_to_roll(data, 4, limits=MidiLimits(max_bytes=100))
    with pytest.raises(MIDIConversionError, match="notes; the limit"):
        midi_bytes_to_roll(data, 4, limits=MidiLimits(max_notes=50))
    with pytest.raises(MIDIConversionError, match="events"):
        midi_bytes_to_roll(data, 4, limits=MidiLimits(max_events=20))
    with pytest.raises(MIDIConversionError, match="longer than 4 beats"):
        midi_bytes_to_roll(data, 4, limits=MidiLimits(max_beats=4))
    with pytest.raises(MIDIConversionError, match="minutes"):
        midi_bytes_to_roll(data, 4, limits=MidiLimits(max_seconds=3))


def test_upload_size_cap_matches_the_contract():
    from workers.contracts import MIDI_UPLOAD_MAX_BYTES

    assert MidiLimits().max_bytes == MIDI_UPLOAD_MAX_BYTES
    with pytest.raises(MIDIConversionError, match="limit is 1.0 MB"):
        midi_bytes_to_roll(b"MThd" + bytes(MIDI_UPLOAD_MAX_BYTES), 4)


def test_roll_midi_roll_round_trip_with_onsets():
    rng = np.random.default_rng(3)
    roll = (rng.random((64, NUM_KEYS)) < 0.05).astype(np.uint8)
    onsets = ((rng.random(roll.shape) < 0.3) & (roll > 0)).astype(np.uint8)
    data = roll_to_midi_bytes(roll, 4, 90, program=5, velocity=77, onsets=onsets)
    back, info = midi_bytes_to_roll(data, 4, with_onsets=True)
    assert np.array_equal(back, roll[: back.shape[0]]) and not roll[back.shape[0]:].any()
    prev = np.zeros_like(roll)
    prev[1:] = roll[:-1]
    expected = ((roll > 0) & ((prev == 0) | (onsets > 0)))[: back.shape[0]]
    assert np.array_equal(info["onsets"] > 0, expected)
    assert info["tempo"] == pytest.approx(90.0, abs=0.01)
    assert {i["program"] for i in info["instruments"]} == {5}
    assert set(np.unique(info["velocity"][back > 0])) == {77}


def test_real_file_round_trip(tmp_path):
    roll, _ = midi_file_to_roll(DATA / "maple_leaf_excerpt.mid", 4)
    out = tmp_path / "again.mid"
    roll_to_midi_file(out, roll, 4, 120)
    again, _ = midi_file_to_roll(out, 4)
    assert np.array_equal(roll, again)


def test_two_programs_split_melody_and_accompaniment():
    roll = np.zeros((4, NUM_KEYS), np.uint8)
    roll[:, 72 - 21] = 1  # melody C5
    roll[:, 48 - 21] = roll[:, 55 - 21] = 1  # chord
    pm = pretty_midi.PrettyMIDI(io.BytesIO(roll_to_midi_bytes(roll, 1, 100, program=(40, 24))))
    by_program = {i.program: sorted(n.pitch for n in i.notes) for i in pm.instruments}
    assert by_program == {40: [72], 24: [48, 55]}
    melody, rest = split_top_voice(NoteArrays(np.zeros(0), np.zeros(0), np.zeros(0, np.int16), np.zeros(0, np.uint8)))
    assert len(melody) == len(rest) == 0


def test_bad_program_and_tempo_raise_value_error():
    roll = np.ones((2, NUM_KEYS), np.uint8)
    with pytest.raises(ValueError):
        roll_to_midi_bytes(roll, 1, 100, program=128)
    with pytest.raises(ValueError):
        roll_to_midi_bytes(roll, 1, 0)


def dense_midi(size: int, seed: int = 0) -> bytes:
    """A type-0 file of about ``size`` bytes: notes of random pitch and velocity,
    each note-on/off written in full (8 bytes a note), built with numpy."""
    rng = np.random.default_rng(seed)
    n = (size - 30) // 8
    ev = np.zeros((n, 8), np.uint8)
    ev[:, 0] = rng.integers(0, 2, n)  # delta before the note-on
    ev[:, 1] = 0x90
    ev[:, 2] = ev[:, 6] = rng.integers(21, 109, n)
    ev[:, 3] = rng.integers(1, 128, n)
    ev[:, 4] = 4  # note length in ticks
    ev[:, 5] = 0x80
    ev[:, 7] = 64
    track = ev.tobytes() + b"\x00\xff\x2f\x00"
    return b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60" + b"MTrk" + len(track).to_bytes(4, "big") + track


def test_one_megabyte_upload_parses_fast():
    """The budget is 0.5 s (bench/midi_parse.py); CPU time, so other jobs on the
    machine do not make it flaky, with headroom for slower CI CPUs."""
    data = dense_midi(1_000_000)
    assert len(data) <= 1_000_000
    start = time.process_time()
    roll, info = midi_bytes_to_roll(data, 4)
    assert time.process_time() - start < 1.0
    assert info["notes"] == (1_000_000 - 30) // 8
