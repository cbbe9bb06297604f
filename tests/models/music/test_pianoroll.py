"""Piano roll <-> note events, transposition."""

import numpy as np
import pytest

from models.music.pianoroll import (
    NUM_KEYS,
    Note,
    NoteArrays,
    quantize,
    random_transpose,
    roll_to_note_arrays,
    roll_to_notes,
    safe_shift_range,
    seconds_for_steps,
    steps_for_seconds,
    transpose,
)


def test_quantize_grid_and_held_note_convention():
    notes = [Note(0.0, 1.0, 60, 90), Note(1.0, 2.0, 60, 70), Note(0.5, 3.0, 64)]
    q = quantize(notes, steps_per_beat=2)
    assert q.roll.shape == (6, NUM_KEYS) and q.roll.dtype == np.uint8
    c4, e4 = 60 - 21, 64 - 21
    assert q.roll[:, c4].tolist() == [1, 1, 1, 1, 0, 0]
    assert q.onsets[:, c4].tolist() == [1, 0, 1, 0, 0, 0]
    assert q.velocity[:, c4].tolist() == [90, 90, 70, 70, 0, 0]
    assert q.roll[:, e4].tolist() == [0, 1, 1, 1, 1, 1]
    # without onsets the two legato C4s are one held note
    assert roll_to_notes(q.roll, 2) == [Note(0.0, 2.0, 60), Note(0.5, 3.0, 64)]
    # with onsets and velocities everything comes back
    back = roll_to_notes(q.roll, 2, onsets=q.onsets, velocity=q.velocity)
    assert back == sorted([Note(0.0, 1.0, 60, 90), Note(1.0, 2.0, 60, 70), Note(0.5, 3.0, 64, 80)])


def test_short_notes_last_one_step_and_out_of_range_pitches_drop():
    q = quantize([Note(0.0, 0.1, 60), Note(0.0, 1.0, 20), Note(0.0, 1.0, 109)], 4)
    assert q.roll.sum() == 1 and q.roll[0, 39] == 1


def test_num_steps_crops_and_pads():
    notes = [Note(0.0, 4.0, 60), Note(3.0, 4.0, 62)]
    assert quantize(notes, 1, num_steps=2).roll[:, 39].tolist() == [1, 1]
    assert quantize(notes, 1, num_steps=2).roll[:, 41].sum() == 0
    assert quantize(notes, 1, num_steps=6).roll.shape == (6, NUM_KEYS)
    assert quantize([], 1).roll.shape == (0, NUM_KEYS)


def test_random_roll_round_trip_is_exact():
    rng = np.random.default_rng(0)
    roll = (rng.random((200, NUM_KEYS)) < 0.1).astype(np.uint8)
    onsets = ((rng.random(roll.shape) < 0.3) & (roll > 0)).astype(np.uint8)
    notes = roll_to_note_arrays(roll, 3, onsets=onsets)
    q = quantize(notes, 3, num_steps=200)
    assert np.array_equal(q.roll, roll)
    # every onset marked on an active step that continues a run is recovered
    prev = np.zeros_like(roll)
    prev[1:] = roll[:-1]
    expected = (roll > 0) & ((prev == 0) | (onsets > 0))
    assert np.array_equal(q.onsets > 0, expected)


def test_note_arrays_conversions():
    notes = [Note(0.0, 1.0, 60, 90), Note(0.5, 3.0, 64, 10)]
    arr = NoteArrays.from_notes(notes)
    assert len(arr) == 2 and arr.to_notes() == notes


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        roll_to_notes(np.zeros((4, 12)), 1)
    with pytest.raises(ValueError):
        quantize([Note(0, 1, 60)], 0)


def test_transpose_shifts_and_drops_off_keyboard():
    roll = np.zeros((3, NUM_KEYS), np.uint8)
    roll[0, 0] = roll[1, 40] = roll[2, 87] = 1
    up = transpose(roll, 2)
    assert up[1, 42] == 1 and up[0, 2] == 1 and up[2].sum() == 0
    down = transpose(roll, -1)
    assert down[0].sum() == 0 and down[1, 39] == 1 and down[2, 86] == 1
    assert transpose(roll, 0).tolist() == roll.tolist()
    assert transpose(roll, 200).sum() == 0


def test_random_transpose_never_drops_notes():
    rng = np.random.default_rng(1)
    rolls = []
    for lo, hi in ((0, 10), (80, 87), (30, 50)):
        r = np.zeros((8, NUM_KEYS), np.uint8)
        r[:, lo] = r[:, hi] = 1
        rolls.append(r)
    shifts = set()
    for _ in range(30):
        out = [random_transpose(r, 6, rng) for r in rolls]
        for a, b in zip(rolls, out, strict=True):
            assert a.sum() == b.sum()
            shifts.add(int(np.flatnonzero(b.any(0))[0]) - int(np.flatnonzero(a.any(0))[0]))
    assert safe_shift_range(rolls[0], 6) == (0, 6)
    assert safe_shift_range(rolls[1], 6) == (-6, 0)
    assert len(shifts) > 5  # it really moves things around


def test_random_transpose_draws_nothing_when_there_is_nothing_to_shift():
    rng = np.random.default_rng(2)
    state = rng.bit_generator.state
    roll = np.zeros((4, NUM_KEYS), np.uint8)
    assert random_transpose(roll, 6, rng) is roll  # silence
    roll[:, 40] = 1
    assert random_transpose(roll, 0, rng) is roll  # augmentation off
    assert rng.bit_generator.state == state


def test_seconds_and_steps():
    assert steps_for_seconds(30, 120, 4) == 240
    assert seconds_for_steps(240, 120, 4) == pytest.approx(30.0)
