"""Piano rolls of 88 keys (MIDI 21-108) on a beat grid, and note events, both ways.

A roll is a ``(T, 88)`` uint8 array: ``roll[t, k] == 1`` when key ``k`` (MIDI
pitch ``k + 21``) sounds during step ``t``; a step lasts ``1 / steps_per_beat``
beats (quarter notes). A binary roll cannot tell a held note from the same note
struck again, so by convention (Boulanger-Lewandowski et al. 2012) consecutive
active steps of one key form one held note, unless an *onset roll* of the same
shape marks a new strike at that step.

Note times are in beats, never seconds: the grid follows the score, and the
tempo only matters when a roll is played back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

LOWEST_PITCH = 21  # A0, key 0
HIGHEST_PITCH = 108  # C8, key 87
NUM_KEYS = 88
DEFAULT_VELOCITY = 80


@dataclass(frozen=True, order=True)
class Note:
    """One note event; ``start``/``end`` in beats (quarter notes), ``end > start``."""

    start: float
    end: float
    pitch: int  # MIDI pitch
    velocity: int = DEFAULT_VELOCITY


class NoteArrays(NamedTuple):
    """The same events as parallel arrays (fast path for thousands of notes)."""

    start: np.ndarray  # (N,) float64 beats
    end: np.ndarray  # (N,) float64 beats
    pitch: np.ndarray  # (N,) int16 MIDI pitch
    velocity: np.ndarray  # (N,) uint8 1..127

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.start.shape[0])

    def to_notes(self) -> list[Note]:
        return [
            Note(float(s), float(e), int(p), int(v))
            for s, e, p, v in zip(self.start, self.end, self.pitch, self.velocity, strict=True)
        ]

    @classmethod
    def from_notes(cls, notes: Sequence[Note]) -> NoteArrays:
        return cls(
            np.fromiter((n.start for n in notes), np.float64, len(notes)),
            np.fromiter((n.end for n in notes), np.float64, len(notes)),
            np.fromiter((n.pitch for n in notes), np.int16, len(notes)),
            np.fromiter((n.velocity for n in notes), np.uint8, len(notes)),
        )


class Quantized(NamedTuple):
    """A quantized clip: what sounds, where strikes begin, and how hard."""

    roll: np.ndarray  # (T, 88) uint8 0/1
    onsets: np.ndarray  # (T, 88) uint8 0/1, 1 where a note starts
    velocity: np.ndarray  # (T, 88) uint8 0..127, the velocity of the sounding note


def empty_roll(steps: int) -> np.ndarray:
    return np.zeros((steps, NUM_KEYS), dtype=np.uint8)


def quantize(
    notes: Sequence[Note] | NoteArrays,
    steps_per_beat: int,
    num_steps: int | None = None,
) -> Quantized:
    """Put note events on the grid.

    A note starts at step ``round(start * steps_per_beat)`` and lasts until
    ``round(end * steps_per_beat)``, at least one step. Pitches outside the 88
    keys are dropped. Overlapping notes of one key merge in ``roll``; ``onsets``
    keeps every strike.

    Args:
        notes: events in beats.
        steps_per_beat: grid resolution (1 = quarter notes, 2 = eighths, ...).
        num_steps: length of the result; default: up to the last note's end.
    """
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be >= 1, got {steps_per_beat}")
    arr = notes if isinstance(notes, NoteArrays) else NoteArrays.from_notes(notes)
    keys = arr.pitch.astype(np.int64) - LOWEST_PITCH
    keep = (keys >= 0) & (keys < NUM_KEYS)
    # round half up, the same on both ends so a legato line stays gap-free
    on = np.floor(arr.start[keep] * steps_per_beat + 0.5).astype(np.int64)
    off = np.floor(arr.end[keep] * steps_per_beat + 0.5).astype(np.int64)
    off = np.maximum(off, on + 1)
    keys, vel = keys[keep], arr.velocity[keep]
    if num_steps is None:
        num_steps = int(off.max()) if off.size else 0
    on_ok = (on >= 0) & (on < num_steps)
    on, off, keys, vel = on[on_ok], np.minimum(off[on_ok], num_steps), keys[on_ok], vel[on_ok]

    q = Quantized(empty_roll(num_steps), empty_roll(num_steps), empty_roll(num_steps))
    if on.size == 0:
        return q
    # Fill [on, off) for every note at once: +1 at on, -1 at off, cumulative sum over time.
    count = np.zeros((num_steps + 1, NUM_KEYS), dtype=np.int32)
    np.add.at(count, (on, keys), 1)
    np.add.at(count, (off, keys), -1)
    q.roll[:] = np.cumsum(count, axis=0)[:num_steps] > 0
    q.onsets[on, keys] = 1
    # Velocity: each note writes its velocity over its span; later onsets win
    # (notes sorted by onset so a re-strike overrides the held note).
    order = np.argsort(on, kind="stable")
    lengths = (off - on)[order]
    steps = np.repeat(on[order], lengths) + _ragged_arange(lengths)
    q.velocity[steps, np.repeat(keys[order], lengths)] = np.repeat(vel[order], lengths)
    return q


def _ragged_arange(lengths: np.ndarray) -> np.ndarray:
    """concat(arange(n) for n in lengths), vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - starts


def notes_to_roll(
    notes: Sequence[Note] | NoteArrays, steps_per_beat: int, num_steps: int | None = None
) -> np.ndarray:
    """Note events -> binary ``(T, 88)`` uint8 roll (see :func:`quantize`)."""
    return quantize(notes, steps_per_beat, num_steps).roll


def roll_to_note_arrays(
    roll: np.ndarray,
    steps_per_beat: int,
    *,
    onsets: np.ndarray | None = None,
    velocity: int | np.ndarray = DEFAULT_VELOCITY,
) -> NoteArrays:
    """Binary roll -> note events, sorted by (start, pitch).

    Consecutive active steps of a key are one note, unless ``onsets`` marks a
    new strike at a step. ``velocity`` is one number, or a ``(T, 88)`` array read
    at each note's first step (zeros there fall back to DEFAULT_VELOCITY).
    """
    roll = _check_roll(roll)
    active = roll > 0
    if onsets is not None:
        onsets = _check_roll(onsets)
        if onsets.shape != roll.shape:
            raise ValueError(f"onsets shape {onsets.shape} != roll shape {roll.shape}")
        strike = active & (onsets > 0)
    else:
        strike = np.zeros_like(active)
    prev = np.zeros_like(active)
    prev[1:] = active[:-1]
    begins = active & (~prev | strike)
    nxt_active = np.zeros_like(active)
    nxt_active[:-1] = active[1:]
    nxt_strike = np.zeros_like(active)
    nxt_strike[:-1] = strike[1:]
    finishes = active & (~nxt_active | nxt_strike)
    # Transpose so nonzero() walks key by key, time ascending: the k-th begin of
    # a key pairs with the k-th finish of that key.
    bk, bt = np.nonzero(begins.T)
    fk, ft = np.nonzero(finishes.T)
    assert bk.shape == fk.shape and np.array_equal(bk, fk)
    if np.ndim(velocity) == 0:
        vel = np.full(bt.shape, int(velocity), dtype=np.uint8)
    else:
        v = np.asarray(velocity)
        if v.shape != roll.shape:
            raise ValueError(f"velocity shape {v.shape} != roll shape {roll.shape}")
        vel = v[bt, bk].astype(np.uint8)
        vel[vel == 0] = DEFAULT_VELOCITY
    vel = np.clip(vel, 1, 127).astype(np.uint8)
    order = np.lexsort((bk, bt))
    return NoteArrays(
        bt[order] / steps_per_beat,
        (ft[order] + 1) / steps_per_beat,
        (bk[order] + LOWEST_PITCH).astype(np.int16),
        vel[order],
    )


def roll_to_notes(
    roll: np.ndarray,
    steps_per_beat: int,
    *,
    onsets: np.ndarray | None = None,
    velocity: int | np.ndarray = DEFAULT_VELOCITY,
) -> list[Note]:
    """Binary roll -> list of :class:`Note` (see :func:`roll_to_note_arrays`)."""
    return roll_to_note_arrays(roll, steps_per_beat, onsets=onsets, velocity=velocity).to_notes()


def _check_roll(roll: np.ndarray) -> np.ndarray:
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != NUM_KEYS:
        raise ValueError(f"expected a (T, {NUM_KEYS}) roll, got shape {roll.shape}")
    return roll


def transpose(roll: np.ndarray, semitones: int) -> np.ndarray:
    """Shift every key by ``semitones``; notes pushed off the keyboard are dropped."""
    roll = _check_roll(roll)
    out = np.zeros_like(roll)
    s = int(semitones)
    if s >= NUM_KEYS or s <= -NUM_KEYS:
        return out
    if s >= 0:
        out[:, s:] = roll[:, : NUM_KEYS - s]
    else:
        out[:, :s] = roll[:, -s:]
    return out


def key_range(roll: np.ndarray) -> tuple[int, int] | None:
    """(lowest, highest) active key index, or None for a silent roll."""
    cols = np.flatnonzero(_check_roll(roll).any(axis=0))
    if cols.size == 0:
        return None
    return int(cols[0]), int(cols[-1])


def safe_shift_range(roll: np.ndarray, max_shift: int) -> tuple[int, int]:
    """The shifts in [-max_shift, max_shift] that keep every note on the keyboard."""
    r = key_range(roll)
    if r is None:
        return -max_shift, max_shift
    lo, hi = r
    return max(-max_shift, -lo), min(max_shift, NUM_KEYS - 1 - hi)


def random_transpose(roll: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Transposition augmentation: ``roll`` shifted by a random number of semitones.

    The shift is drawn uniformly from the shifts in ``[-max_shift, max_shift]`` that drop
    no note off the keyboard, so no information is lost. A silent roll, or ``max_shift``
    <= 0, comes back as it is, without a draw from ``rng``.
    """
    if max_shift <= 0 or key_range(roll) is None:
        return roll
    lo, hi = safe_shift_range(roll, max_shift)
    return transpose(roll, int(rng.integers(lo, hi + 1)))


def steps_for_seconds(seconds: float, tempo: float, steps_per_beat: int) -> int:
    """How many grid steps last ``seconds`` at ``tempo`` beats per minute."""
    return max(1, int(round(seconds * tempo / 60.0 * steps_per_beat)))


def seconds_for_steps(steps: int, tempo: float, steps_per_beat: int) -> float:
    return steps / steps_per_beat * 60.0 / tempo
