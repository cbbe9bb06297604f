"""Roll -> MIDI bytes for the pipeline (a thin layer over models.music.midi_io)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.music.midi_io import (
    MIDIConversionError,
    midi_bytes_to_roll,
    notes_to_midi_bytes,
    roll_to_midi_bytes,
    split_top_voice,
)
from models.music.pianoroll import DEFAULT_VELOCITY, NoteArrays, roll_to_note_arrays

__all__ = [
    "MIDIConversionError",
    "midi_bytes_to_roll",
    "notes_to_midi_bytes",
    "roll_to_midi_bytes",
    "roll_to_tracks",
]


def roll_to_tracks(
    roll: np.ndarray,
    steps_per_beat: int,
    programs: Sequence[int] = (0,),
    *,
    velocity: int | np.ndarray = DEFAULT_VELOCITY,
    onsets: np.ndarray | None = None,
) -> list[tuple[int, NoteArrays]]:
    """Roll -> ``[(program, notes in beats), ...]``: one program plays everything,
    or two split melody (top voice) / accompaniment, as in ``roll_to_midi_bytes``."""
    notes = roll_to_note_arrays(roll, steps_per_beat, onsets=onsets, velocity=velocity)
    programs = [int(p) for p in programs]
    if not programs or not all(0 <= p <= 127 for p in programs):
        raise ValueError(f"programs must be GM programs 0..127, got {programs!r}")
    if len(programs) == 1:
        return [(programs[0], notes)]
    melody, rest = split_top_voice(notes)
    return [(programs[0], melody), (programs[1], rest)]
