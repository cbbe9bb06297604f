"""More training music for the genres the bot plays: the corpus bundled with music21.

music21 (BSD) ships a corpus of scores inside its wheel (``music21/corpus/``). At data-prep
time :func:`build_genre` reads the works that fit a genre through music21's corpus API
(``corpus.getComposer`` for the paths, ``corpus.parse(..., forceSource=True)`` to read, so
music21's pickled parse cache is neither read nor written), turns each work (each tune of
an ABC collection) into a piano roll on the genre's grid, decontaminates the lot against
every held-out piece, and caches the rolls under ``var/cache/music21/`` with checksums.
``python -m models.music.train ... --extra-data music21`` then appends them to the genre's
train split; valid and test, and so every benchmark figure, are never touched.

Which corpus folders fit which genre (:data:`SOURCES`):

* **chorale** (JSB, four-part chorales on quarters) <- ``bach``: the Bach chorale
  harmonizations are the source of JSB itself, so this is the genre's own music; every
  piece that is (or shares a tune with) a JSB valid or test chorale is dropped. The
  ``.rntxt`` files are Roman-numeral analyses, not music, and are skipped.
* **folk** (Nottingham: dance tunes with chords) <- ``essenFolksong`` (European folk songs),
  ``oneills1850`` and ``ryansMammoth`` (Irish, Scottish and American dance tunes, the
  Nottingham repertoire). These tunes are melodies only (their ABC has almost no chord
  symbols), so they thin the chords of Nottingham's texture. music21's
  ``nottingham-dataset`` folder is the Nottingham database itself and is never read.
* **classical** (MuseData: orchestral and chamber music, mostly Baroque and Classical) <-
  the string quartets of ``beethoven``, ``mozart``, ``haydn`` and Schumann's op. 41 no. 1,
  Clara Schumann's piano trio movement, a ``corelli`` trio sonata, ``monteverdi``'s
  five-part madrigals and ``palestrina``'s masses: ensemble polyphony like MuseData's.
  Palestrina is Renaissance vocal music, further from MuseData's style than the rest, and
  the largest folder (1,318 files); it comes last and can be left out with
  ``--skip palestrina``. Corelli's ``.musx`` (Finale) file is a duplicate music21 cannot read.
* **classical_piano** (Piano-midi.de: solo piano) <- the piano works: Clara Schumann's
  polonaises op. 1, Chopin's mazurka op. 6 no. 2, C. P. E. Bach's H. 186, Mozart's K. 545
  exposition; and the piano parts (the voice left out) of songs: Schumann's Dichterliebe
  no. 2, Schubert's Der Lindenbaum, Handel's "Lascia ch'io pianga" and Amy Beach's
  "Prayer of a Tired Child".
* **ragtime** (18 Joplin rags) <- ``joplin`` (the Maple Leaf Rag, which the ragtime data
  holds too: it is dropped if that rag is held out, and counted as a near-duplicate of
  train otherwise).
* **jazz** (Weimar Jazz Database horn solos): nothing in the corpus fits (its only jazz-age
  item, ``leadSheet/berlinAlexandersRagtime``, is a song's lead sheet, not an improvised
  line), so jazz gets no extra data.

Conversion (:func:`work_notes`, :func:`to_roll`): every part merged; each note or chord
pitch from its offset for its quarterLength, in beats (quarter notes) like the rest of
the music data, so a work lands on the genre's grid whatever its meter or tempo marks;
each frame holds what sounds at its start, as in the Boulanger sets.
Grace notes (no duration) and chord symbols (analysis, not notes) are left out; repeats
are read as written, not expanded. Pitches outside the 88 keys are folded in by octaves.

Keys (:data:`KEY_TO_C`): the four Boulanger sets were transposed by their curators to C
major or C minor (most windows of their train splits fit C), so a work for chorale, folk,
classical or classical_piano is shifted, by at most a tritone, to put its tonic on C
(:func:`tonic_pitch_class`: Krumhansl-Kessler key profiles against the work's
duration-weighted pitch classes; the mode is kept, so minor works go to C minor). Checked
on the data (``--key-check``): that estimate puts the tonic on C for 77-89 % of the train
pieces of the four sets (most others on G, the dominant), but for 1 of the 14 train rags,
which are in their printed keys (B-flat most often), so ragtime is left as written.

Decontamination (:func:`decontaminate`), in this order:

1. ``shared_frames``: the work shares a run of consecutive non-empty frames, under any
   transposition, with any valid or test piece of JSB, Nottingham, MuseData,
   Piano-midi.de or the ragtime and jazz data, compared on that set's own grid (the work
   is put again on 1, 2 and 4 steps per beat). Only windows that carry enough
   music to be evidence of a copy are compared: :data:`RUN` frames holding at least
   :data:`MIN_CELLS` sounding key-frames (three voices' worth), or :data:`LONG_RUN` frames
   of a thinner texture (a tune), each with at least :data:`MIN_CHANGES` frame changes.
   Eight frames of a melody, or of two or three chords, recur by chance across unrelated
   music: with plain 8-frame windows most folk tunes of a sample "matched" a jazz solo or a
   MuseData part, and with two changes in 8 frames about a tenth of the classical works
   matched a Nottingham tune. A copy shares whole passages, so it still has such windows.
2. ``same_tune``: the work's top line (highest key per frame) shares a run of
   :data:`TUNE_BEATS` beats with :data:`TUNE_CHANGES` moves, under any transposition, with
   the top line of a valid or test piece of the genre's own data. (With 8 beats and 6
   moves, 7 % of Palestrina's mass movements "shared a tune" with Nottingham's held-out
   folk tunes and 20 % with MuseData's train split, by chance; with 12 beats and 8 moves,
   none.) This is how a Bach chorale is dropped by identity: JSB keeps no BWV numbers,
   and Bach harmonized many tunes more than once, so a chorale is identified by its tune,
   as a Nottingham tune is under its chords.
3. ``twin_of_dropped``: at least :data:`NEAR_DUPLICATE` of its windows appear in a work
   dropped by 1 or 2 (the corpus has some works twice, as Humdrum and as MusicXML, and one
   encoding may match a held-out piece where the other misses by a few frames).
4. ``duplicate_in_corpus``: as many of its windows appear in a work already kept.

A kept work that shares a window with a train piece of the genre is counted
(``shares_run_with_train``), one with at least :data:`NEAR_DUPLICATE` of its windows in
train is a ``near_duplicate_of_train``, and one sharing a tune with train is counted in
``same_tune_as_train``: kept, since train may hold them, but reported.

``python -m models.music.corpus --genres classical folk`` builds the caches of the genres
named (each is written as soon as it is done) and prints the report JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.music.download import sha256_file
from models.music.genres import get_genre
from models.music.pianoroll import (
    HIGHEST_PITCH,
    LOWEST_PITCH,
    NUM_KEYS,
    NoteArrays,
    roll_to_note_arrays,
    safe_shift_range,
    transpose,
)

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO_ROOT / "var" / "cache" / "music21"
MANIFEST = "manifest.json"
NAME = "music21"
VERSION = "10.5.1"
WHEEL = "music21-10.5.1-py3-none-any.whl"
WHEEL_SHA256 = "dc3309498c4c95cebdf8d4f20c868deb6b63bce1d929cad4f51a7ccc982987b1"  # as in the lock

RUN = 8  # frames: a work sharing a run this long with a held-out piece is dropped
MIN_CHANGES = 4  # frame changes a window needs to count: five successive chords, not two or three
MIN_CELLS = 24  # sounding key-frames an 8-frame window needs: three voices' worth
LONG_RUN = 24  # frames: the run that counts for thinner textures (a melody, two voices)
TUNE_BEATS = 12  # beats of top line shared with a held-out piece of the genre's own data
TUNE_CHANGES = 8  # ... in which the top line moves at least this often (a phrase, not a drone)
NEAR_DUPLICATE = 0.5  # share of a work's windows found in another piece
GRIDS = (1, 2, 4)  # steps per beat of the held-out sets: JSB; Boulanger's others; ragtime, jazz
SCORE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc")


class CorpusError(RuntimeError):
    """The cache is missing or fails its checksum, or music21 is not the release it expects."""


@dataclass(frozen=True)
class Source:
    """One corpus folder (music21's ``getComposer`` name) and what of it a genre takes."""

    folder: str
    include: tuple[str, ...] = ()  # path fragments to keep (empty: every score file)
    exclude: tuple[str, ...] = ()  # path fragments to leave out
    parts: str | None = None  # regex on part or instrument names: keep only those (None: all)


SOURCES: dict[str, tuple[Source, ...]] = {
    "chorale": (Source("bach"),),
    "folk": (Source("essenFolksong"), Source("oneills1850"), Source("ryansMammoth")),
    "classical": (
        Source("beethoven"),
        Source("mozart", exclude=("k545",)),
        Source("haydn"),
        Source("schumann_robert", include=("opus41no1",)),
        Source("schumann_clara", include=("opus17",)),
        Source("corelli"),
        Source("monteverdi"),
        Source("palestrina"),
    ),
    "classical_piano": (
        Source("schumann_clara", include=("polonaise",)),
        Source("chopin"),
        Source("cpebach"),
        Source("mozart", include=("k545",)),
        Source("schumann_robert", include=("opus48no2",), parts=r"(?i)piano"),
        Source("schubert", parts=r"(?i)piano"),
        Source("handel", parts=r"(?i)piano"),
        Source("beach", parts=r"(?i)piano"),
    ),
    "ragtime": (Source("joplin"),),
    "jazz": (),
}

# Shift each work's tonic to C (the Boulanger sets' convention); ragtime keeps printed keys.
KEY_TO_C = {"chorale": True, "folk": True, "classical": True, "classical_piano": True,
            "ragtime": False, "jazz": False}

# Krumhansl & Kessler (1982) probe-tone profiles, C major and C minor.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


# ---------------------------------------------------------------------------
# Reading and converting


def _music21() -> Any:
    """music21, checked to be the release the cache is keyed on."""
    try:
        import music21
    except ImportError as err:  # the dev extra installs it
        raise CorpusError(f"music21=={VERSION} is not installed (pip install music21=={VERSION})") from err
    if music21.__version__ != VERSION:
        raise CorpusError(f"music21 {music21.__version__} is installed; the corpus step expects {VERSION}")
    return music21


def corpus_root() -> Path:
    """The folder of music21's bundled corpus."""
    return Path(_music21().__file__).parent / "corpus"


def source_paths(source: Source) -> list[Path]:
    """The score files of ``source``, sorted (music21's ``corpus.getComposer``)."""
    from music21 import corpus

    out = []
    for path in corpus.getComposer(source.folder):
        p = Path(path)
        text = p.as_posix()
        if p.suffix.lower() not in SCORE_SUFFIXES:
            continue
        if source.include and not any(f in text for f in source.include):
            continue
        if any(f in text for f in source.exclude):
            continue
        out.append(p)
    return sorted(out)


def parse_works(path: Path) -> Iterator[tuple[str, Any]]:
    """(name, score) for each work in a corpus file; an ABC collection yields each tune."""
    from music21 import corpus, stream

    parsed = corpus.parse(str(path), forceSource=True)
    rel = path.relative_to(corpus_root()).as_posix()
    if isinstance(parsed, stream.Opus):
        for i, score in enumerate(parsed.scores):
            number = score.metadata.number if score.metadata is not None else None
            yield f"{rel}#{number or i + 1}", score
    else:
        yield rel, parsed


def fold_pitch(pitch: int) -> int:
    """A MIDI pitch moved by octaves into the 88 keys (A0..C8)."""
    while pitch < LOWEST_PITCH:
        pitch += 12
    while pitch > HIGHEST_PITCH:
        pitch -= 12
    return pitch


def work_notes(score: Any, parts: str | None = None) -> NoteArrays:
    """Every sounding pitch of a score (all parts merged, or those whose name matches
    ``parts``) as note events in beats (quarterLength), folded into the 88 keys."""
    from music21 import harmony

    if parts is None:
        streams = [score]
    else:
        pattern = re.compile(parts)
        streams = [p for p in score.parts if pattern.search(_part_label(p))]
    start, end, pitch = [], [], []
    for s in streams:
        flat = s.flatten()
        for element in flat.notes:
            if isinstance(element, harmony.Harmony):
                continue  # a chord symbol is analysis, not a sounding note
            length = float(element.duration.quarterLength)
            if length <= 0:
                continue  # grace note
            offset = float(flat.elementOffset(element))
            for p in element.pitches:
                start.append(offset)
                end.append(offset + length)
                pitch.append(fold_pitch(int(round(p.ps))))
    n = len(start)
    return NoteArrays(np.asarray(start, np.float64), np.asarray(end, np.float64),
                      np.asarray(pitch, np.int16), np.full(n, 80, np.uint8))


def _part_label(part: Any) -> str:
    """A part's name and its instrument's (some files name parts only "MusicXML Part")."""
    inst = part.getInstrument(returnDefault=False)
    return f"{part.partName or ''} {getattr(inst, 'instrumentName', None) or ''}"


def tonic_pitch_class(notes: NoteArrays) -> int:
    """The tonic (0 = C) of the best-fitting major or minor Krumhansl-Kessler key profile."""
    hist = np.zeros(12)
    np.add.at(hist, notes.pitch.astype(np.int64) % 12, notes.end - notes.start)
    if not hist.any():
        return 0
    best, tonic = -np.inf, 0
    for profile in (_MAJOR, _MINOR):
        for t in range(12):
            r = np.corrcoef(hist, np.roll(profile, t))[0, 1]
            if r > best:
                best, tonic = r, t
    return tonic


def shift_to_c(tonic: int) -> int:
    """Semitones that move ``tonic`` to C, the smaller way round (-6..+5)."""
    s = (-int(tonic)) % 12
    return s - 12 if s > 5 else s


def roll_to_c(roll: np.ndarray, steps_per_beat: int) -> tuple[np.ndarray, int]:
    """``roll`` moved so that its estimated tonic (:func:`tonic_pitch_class`) is C, and the shift.

    The shift is the smaller way round (:func:`shift_to_c`), or an octave further where that
    would push notes off the keyboard; the mode is kept (a minor piece goes to C minor).
    """
    s = shift_to_c(tonic_pitch_class(roll_to_note_arrays(roll, steps_per_beat)))
    lo, hi = safe_shift_range(roll, 18)
    if not lo <= s <= hi:
        s = next((c for c in (s - 12, s + 12) if lo <= c <= hi), s)
    return (transpose(roll, s) if s else roll), s


def train_in_c(data: dict[str, list[np.ndarray]], steps_per_beat: int) -> tuple[dict[str, list[np.ndarray]], list[int]]:
    """``data`` with every train piece moved to C (:func:`roll_to_c`), and the shifts.

    Valid and test are left as they are, so their figures stay comparable with models
    trained on the pieces as written.
    """
    moved = [roll_to_c(r, steps_per_beat) for r in data["train"]]
    out = {split: list(rolls) for split, rolls in data.items()}
    out["train"] = [r for r, _ in moved]
    return out, [s for _, s in moved]


def transpose_notes(notes: NoteArrays, semitones: int) -> NoteArrays:
    pitch = np.array([fold_pitch(int(p) + semitones) for p in notes.pitch], np.int16)
    return NoteArrays(notes.start, notes.end, pitch, notes.velocity)


def to_roll(notes: NoteArrays, steps_per_beat: int) -> np.ndarray:
    """Note events in beats -> ``(T, 88)`` uint8 roll, sampled at each frame's start.

    Frame ``t`` holds the pitches sounding at beat ``t / steps_per_beat`` (start <= that <
    end), as in the Boulanger sets, whose frames hold the chord at each beat (JSB) or
    eighth: a note between two sample points (a passing eighth on JSB's quarter grid) is
    not heard, rather than smeared into the next frame. The silence before the first
    note is trimmed.
    """
    eps = 1e-6  # offsets are exact fractions of a beat; this only absorbs float rounding
    on = np.ceil(notes.start * steps_per_beat - eps).astype(np.int64)
    off = np.ceil(notes.end * steps_per_beat - eps).astype(np.int64)
    keys = notes.pitch.astype(np.int64) - LOWEST_PITCH
    ok = (off > on) & (keys >= 0) & (keys < NUM_KEYS)
    on, off, keys = on[ok], off[ok], keys[ok]
    if not on.size:
        return np.zeros((0, NUM_KEYS), np.uint8)
    first, steps = int(on.min()), int(off.max())
    count = np.zeros((steps - first + 1, NUM_KEYS), np.int32)
    np.add.at(count, (on - first, keys), 1)
    np.add.at(count, (off - first, keys), -1)
    return (np.cumsum(count, axis=0)[:-1] > 0).astype(np.uint8)


# ---------------------------------------------------------------------------
# Decontamination


def window_keys(roll: np.ndarray, run: int = RUN, min_changes: int = MIN_CHANGES,
                min_cells: int = 0) -> list[bytes]:
    """A key per run of ``run`` non-empty frames (with >= ``min_changes`` frame changes and
    >= ``min_cells`` sounding key-frames), the same for every transposition of it: the
    window is shifted down to its lowest key."""
    roll = np.asarray(roll, dtype=np.uint8)
    t_max = roll.shape[0] - run + 1
    if t_max <= 0:
        return []
    nonempty = roll.any(axis=1)
    changed = np.zeros(roll.shape[0], dtype=np.int64)
    changed[1:] = (roll[1:] != roll[:-1]).any(axis=1)
    lowest = np.where(nonempty, roll.argmax(axis=1), NUM_KEYS)
    ones = np.ones(run, np.int64)
    full = np.convolve(nonempty.astype(np.int64), ones, "valid") == run
    cells = np.convolve(roll.sum(axis=1, dtype=np.int64), ones, "valid")
    # changes inside window t: frames t+1 .. t+run-1 that differ from their predecessor
    csum = np.concatenate([[0], np.cumsum(changed)])
    changes = csum[run:run + t_max] - csum[1:1 + t_max]
    lo = np.lib.stride_tricks.sliding_window_view(lowest, run).min(axis=1)
    padded = np.concatenate([roll, np.zeros_like(roll)], axis=1)  # (T, 176): any shift fits
    keys = []
    for t in np.flatnonzero(full & (changes >= min_changes) & (cells >= min_cells)):
        keys.append(np.packbits(padded[t:t + run, lo[t]:lo[t] + NUM_KEYS]).tobytes())
    return keys


def shared_keys(roll: np.ndarray) -> list[bytes]:
    """The windows compared with held-out music: :data:`RUN` frames holding at least
    :data:`MIN_CELLS` sounding key-frames (a chord texture), or :data:`LONG_RUN` frames of
    any texture (a line). Both kinds live in one index: their keys differ in length."""
    return window_keys(roll, RUN, MIN_CHANGES, MIN_CELLS) + window_keys(roll, LONG_RUN, MIN_CHANGES)


def top_line(roll: np.ndarray) -> np.ndarray:
    """(T,) the highest sounding key of each frame, -1 where silent."""
    roll = np.asarray(roll)
    top = NUM_KEYS - 1 - np.argmax(roll[:, ::-1], axis=1)
    return np.where(roll.any(axis=1), top, -1)


def line_keys(line: np.ndarray, run: int, min_changes: int = TUNE_CHANGES) -> list[bytes]:
    """Transposition-free keys of each run of ``run`` sounding frames of a top line."""
    line = np.asarray(line, dtype=np.int64)
    if line.shape[0] < run:
        return []
    win = np.lib.stride_tricks.sliding_window_view(line, run)
    ok = (win >= 0).all(axis=1) & ((np.diff(win, axis=1) != 0).sum(axis=1) >= min_changes)
    rel = (win[ok] - win[ok].min(axis=1, keepdims=True)).astype(np.int8)
    return [row.tobytes() for row in rel]


@dataclass
class HeldOut:
    """Indexes of the music no added work may share, and of the genre's train split.

    ``frames``: steps per beat -> window key (:func:`shared_keys`) -> label of the first
    held-out piece with it; ``tunes``: top-line key (:func:`line_keys`) -> label, for the
    genre's own valid and test pieces; ``train`` and ``train_tunes``: the same keys of the
    genre's train split, on the genre's grid.
    """

    frames: dict[int, dict[bytes, str]]
    tunes: dict[bytes, str]
    train: set[bytes]
    train_tunes: set[bytes]
    tune_run: int  # frames: TUNE_BEATS on the genre's grid

    @classmethod
    def build(cls, heldout: dict[str, tuple[int, list[np.ndarray]]], own: Iterable[str],
              train: list[np.ndarray], steps_per_beat: int) -> HeldOut:
        """``heldout``: label -> (steps per beat, rolls); ``own``: the labels in it that are
        the genre's own valid and test splits; ``train``: the genre's train rolls, on
        ``steps_per_beat``, the genre's grid."""
        own = set(own)
        run = TUNE_BEATS * steps_per_beat
        frames: dict[int, dict[bytes, str]] = {}
        tunes: dict[bytes, str] = {}
        for label, (grid, rolls) in heldout.items():
            index = frames.setdefault(grid, {})
            for i, roll in enumerate(rolls):
                for key in shared_keys(roll):
                    index.setdefault(key, f"{label}[{i}]")
                if label in own:
                    for key in line_keys(top_line(roll), run):
                        tunes.setdefault(key, f"{label}[{i}]")
        return cls(frames, tunes, {k for r in train for k in shared_keys(r)},
                   {k for r in train for k in line_keys(top_line(r), run)}, run)


@dataclass
class Decontaminated:
    """Works kept (name -> roll on the genre's grid), those dropped, and the counts."""

    kept: dict[str, np.ndarray]
    dropped: dict[str, dict[str, str]]  # reason -> work -> what it matched
    shares_run_with_train: list[str]
    near_duplicate_of_train: list[str]
    same_tune_as_train: list[str]

    def report(self, examples: int = 5) -> dict[str, Any]:
        return {
            "kept": len(self.kept),
            "kept_frames": int(sum(r.shape[0] for r in self.kept.values())),
            "dropped": {reason: len(works) for reason, works in self.dropped.items()},
            "dropped_by_set": {reason: _count_sets(self.dropped[reason].values())
                               for reason in ("shared_frames", "same_tune")},
            "dropped_examples": {reason: dict(list(works.items())[:examples])
                                 for reason, works in self.dropped.items()},
            "shares_run_with_train": len(self.shares_run_with_train),
            "near_duplicate_of_train": len(self.near_duplicate_of_train),
            "near_duplicate_examples": self.near_duplicate_of_train[:examples],
            "same_tune_as_train": len(self.same_tune_as_train),
            "same_tune_as_train_examples": self.same_tune_as_train[:examples],
            "rule": {"run_frames": RUN, "min_cells": MIN_CELLS, "long_run_frames": LONG_RUN,
                     "min_changes": MIN_CHANGES, "tune_beats": TUNE_BEATS,
                     "tune_changes": TUNE_CHANGES, "near_duplicate_share": NEAR_DUPLICATE},
        }


def _count_sets(labels: Iterable[str]) -> dict[str, int]:
    """How many matches each held-out set ("musedata valid", ...) had, most first."""
    counts: dict[str, int] = {}
    for label in labels:
        key = label.rsplit("[", 1)[0]
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def decontaminate(works: dict[str, NoteArrays], steps_per_beat: int, heldout: HeldOut) -> Decontaminated:
    """Drop the works that share music with held-out pieces (see the module docstring).

    Two passes, so the result does not depend on the order of the works: first every work
    is compared with the held-out music; then each remaining work with the works dropped
    in the first pass (another encoding of a dropped work goes too: ``twin_of_dropped``)
    and with those kept before it (``duplicate_in_corpus``).

    Args:
        works: name -> note events in beats, already in the genre's key convention.
        steps_per_beat: the genre's grid, on which the kept rolls are returned.
        heldout: the indexes to compare with.
    """
    reasons = ("shared_frames", "same_tune", "twin_of_dropped", "duplicate_in_corpus")
    result = Decontaminated({}, {r: {} for r in reasons}, [], [], [])
    remaining: dict[str, tuple[np.ndarray, list[bytes], list[bytes]]] = {}
    dropped_keys: dict[bytes, str] = {}
    for name, notes in works.items():
        roll = to_roll(notes, steps_per_beat)
        if not roll.shape[0]:
            continue
        keys = shared_keys(roll)
        line = line_keys(top_line(roll), heldout.tune_run)
        hit = None
        for grid, index in sorted(heldout.frames.items()):
            grid_keys = keys if grid == steps_per_beat else shared_keys(to_roll(notes, grid))
            hit = next((index[k] for k in grid_keys if k in index), None)
            if hit is not None:
                break
        tune = None if hit is not None else next((heldout.tunes[k] for k in line if k in heldout.tunes), None)
        if hit is not None or tune is not None:
            result.dropped["shared_frames" if hit is not None else "same_tune"][name] = hit or tune
            for k in keys:
                dropped_keys.setdefault(k, name)
        else:
            remaining[name] = (roll, keys, line)
    kept_keys: dict[bytes, str] = {}
    for name, (roll, keys, line) in remaining.items():
        twin = _twin(keys, dropped_keys)
        if twin is not None:
            result.dropped["twin_of_dropped"][name] = twin
            continue
        twin = _twin(keys, kept_keys)
        if twin is not None:
            result.dropped["duplicate_in_corpus"][name] = twin
            continue
        in_train = sum(k in heldout.train for k in keys)
        if in_train:
            result.shares_run_with_train.append(name)
            if in_train >= NEAR_DUPLICATE * len(keys):
                result.near_duplicate_of_train.append(name)
        if any(k in heldout.train_tunes for k in line):
            result.same_tune_as_train.append(name)
        for k in keys:
            kept_keys.setdefault(k, name)
        result.kept[name] = roll
    return result


def _twin(keys: list[bytes], index: dict[bytes, str]) -> str | None:
    """The work of ``index`` holding at least :data:`NEAR_DUPLICATE` of ``keys``, if any."""
    counts: dict[str, int] = {}
    for k in keys:
        if k in index:
            counts[index[k]] = counts.get(index[k], 0) + 1
    best = max(counts, key=counts.__getitem__, default=None)
    return best if best is not None and counts[best] >= NEAR_DUPLICATE * len(keys) else None


def heldout_for(genre: str, data_dir: str | Path | None = None) -> HeldOut:
    """Every valid and test piece of the six genres' data, and the genre's train split."""
    from models.music.datasets import load_genre
    from models.music.genres import GENRES

    heldout, own, train = {}, [], []
    grid = get_genre(genre).steps_per_beat
    for g in GENRES.values():
        data = load_genre(g.name, data_dir)
        for split in ("valid", "test"):
            heldout[f"{g.dataset} {split}"] = (g.steps_per_beat, data[split])
            if g.name == genre:
                own.append(f"{g.dataset} {split}")
        if g.name == genre:
            train = data["train"]
    return HeldOut.build(heldout, own, train, grid)


# ---------------------------------------------------------------------------
# Building and caching


def read_genre(genre: str, skip: Iterable[str] = ()) -> tuple[dict[str, NoteArrays], dict[str, Any]]:
    """The works of the genre's sources as note events in the genre's key convention, and
    what reading them took (files, works, seconds per folder, source checksums)."""
    skip = set(skip)
    works: dict[str, NoteArrays] = {}
    folders: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for source in SOURCES[get_genre(genre).name]:
        if source.folder in skip:
            continue
        paths = source_paths(source)
        t0, failed, count = time.perf_counter(), [], 0
        for i, path in enumerate(paths):
            rel = path.relative_to(corpus_root()).as_posix()
            sources[rel] = sha256_file(path)
            try:
                for name, score in parse_works(path):
                    notes = work_notes(score, source.parts)
                    if not len(notes):
                        continue
                    if KEY_TO_C[genre]:
                        notes = transpose_notes(notes, shift_to_c(tonic_pitch_class(notes)))
                    works[name] = notes
                    count += 1
            except Exception as err:  # noqa: BLE001 - music21 raises many kinds on odd files
                failed.append(f"{rel}: {type(err).__name__}: {str(err)[:120]}")
            if (i + 1) % 25 == 0 or i + 1 == len(paths):
                log.info("%s %s: %d/%d files, %d works, %.0f s", genre, source.folder, i + 1,
                         len(paths), count, time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        folders[source.folder] = {"files": len(paths), "works": count, "failed": failed,
                                  "seconds": round(seconds, 1),
                                  "seconds_per_file": round(seconds / max(1, len(paths)), 3)}
    return works, {"folders": folders, "sources": dict(sorted(sources.items()))}


def build_genre(genre: str, cache_dir: str | Path | None = None, data_dir: str | Path | None = None,
                skip: Iterable[str] = ()) -> dict[str, Any]:
    """Read, convert, decontaminate and cache one genre; returns its report (also in the manifest)."""
    _music21()
    g = get_genre(genre)
    t0 = time.perf_counter()
    works, read = read_genre(g.name, skip)
    t_read = time.perf_counter() - t0
    result = decontaminate(works, g.steps_per_beat, heldout_for(g.name, data_dir))
    report = {
        "genre": g.name, "dataset": g.dataset, "steps_per_beat": g.steps_per_beat,
        "key": "tonic moved to C" if KEY_TO_C[g.name] else "as written",
        "works": len(works), **result.report(),
        "mean_keys_per_frame": _mean_keys(list(result.kept.values())),
        "folders": read["folders"], "skipped": sorted(set(skip)),
    }
    report["seconds"] = {"read": round(t_read, 1), "total": round(time.perf_counter() - t0, 1)}
    write_cache(cache_dir, g.name, result.kept, report, read["sources"])
    return report


def _mean_keys(rolls: list[np.ndarray]) -> float:
    """Mean sounding keys per non-empty frame."""
    if not rolls:
        return 0.0
    counts = np.concatenate([r.sum(axis=1) for r in rolls])
    return round(float(counts[counts > 0].mean()), 2)


def write_cache(cache_dir: str | Path | None, genre: str, rolls: dict[str, np.ndarray],
                report: dict[str, Any], sources: dict[str, str] | None = None) -> Path:
    """Write ``<genre>.npz`` (frames, lengths, names; no pickle) and its manifest entry."""
    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE
    cache.mkdir(parents=True, exist_ok=True)
    names = sorted(rolls)
    kept = [np.asarray(rolls[n], np.uint8) for n in names]
    path = cache / f"{genre}.npz"
    np.savez(path, frames=np.concatenate(kept) if kept else np.zeros((0, NUM_KEYS), np.uint8),
             lengths=np.array([r.shape[0] for r in kept], np.int64), names=np.array(names, dtype=str))
    entry = {"file": path.name, "sha256": sha256_file(path), "pieces": len(kept),
             "frames": int(sum(r.shape[0] for r in kept)), "report": report, "sources": sources or {}}
    _update_manifest(cache, genre, entry)
    return path


def _update_manifest(cache: Path, genre: str, entry: dict[str, Any]) -> None:
    path = cache / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    manifest.update({"package": NAME, "version": VERSION, "wheel": WHEEL, "wheel_sha256": WHEEL_SHA256})
    manifest.setdefault("genres", {})[genre] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(path)


def load_cached(genre: str, cache_dir: str | Path | None = None) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The cached rolls of a genre and their manifest entry, after checking the checksum.

    Raises:
        CorpusError: no cache for the genre, a different grid, or a sha256 mismatch.
    """
    g = get_genre(genre)
    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE
    manifest_path = cache / MANIFEST
    hint = f"build it with `python -m models.music.corpus --genres {g.name}`"
    if not manifest_path.exists():
        raise CorpusError(f"no music21 cache in {cache}: {hint}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = manifest.get("genres", {}).get(g.name)
    if entry is None:
        raise CorpusError(f"{manifest_path} has no {g.name} rolls: {hint}")
    if entry["report"]["steps_per_beat"] != g.steps_per_beat:
        raise CorpusError(f"{g.name} rolls are on {entry['report']['steps_per_beat']} steps per beat, "
                          f"the genre on {g.steps_per_beat}: {hint}")
    path = cache / entry["file"]
    actual = sha256_file(path) if path.exists() else "missing"
    if actual != entry["sha256"]:
        raise CorpusError(f"{path}: sha256 {actual} != {entry['sha256']} in {manifest_path}; "
                          f"refusing the rolls: {hint}")
    with np.load(path, allow_pickle=False) as npz:
        frames, lengths = npz["frames"], npz["lengths"]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    rolls = [frames[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return rolls, {"version": manifest["version"], "wheel_sha256": manifest["wheel_sha256"], **entry}


def with_extra(data: dict[str, list[np.ndarray]], genre: str, extra: str,
               cache_dir: str | Path | None = None) -> tuple[dict[str, list[np.ndarray]], dict[str, Any]]:
    """``data`` with the cached ``extra`` rolls appended to train only, and what was added."""
    if extra != NAME:
        raise ValueError(f"unknown extra data {extra!r}; the one known is {NAME!r}")
    rolls, entry = load_cached(genre, cache_dir)
    out = {split: list(rolls_) for split, rolls_ in data.items()}
    out["train"] = out["train"] + rolls
    info = {"name": NAME, "version": entry["version"], "wheel_sha256": entry["wheel_sha256"],
            "npz_sha256": entry["sha256"], "pieces": len(rolls),
            "frames": int(sum(r.shape[0] for r in rolls))}
    return out, info


def key_check(data_dir: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Per genre's train split: frames, keys per sounding frame, the share of pieces whose
    estimated tonic is C and the commonest tonics (the evidence for :data:`KEY_TO_C`)."""
    from collections import Counter

    from models.music.datasets import load_genre
    from models.music.genres import GENRES

    names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    out = {}
    for g in GENRES.values():
        train = load_genre(g.name, data_dir)["train"]
        tonics = Counter(tonic_pitch_class(roll_to_note_arrays(r, g.steps_per_beat)) for r in train)
        out[g.name] = {"pieces": len(train), "frames": int(sum(r.shape[0] for r in train)),
                       "keys_per_frame": _mean_keys(train),
                       "tonic_c": round(tonics[0] / max(1, len(train)), 3),
                       "commonest": {names[t]: n for t, n in tonics.most_common(3)}}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genres", nargs="+", default=[], help="genres to build, in this order")
    parser.add_argument("--key-check", action="store_true",
                        help="print the share of each genre's train pieces in C, and exit")
    parser.add_argument("--skip", nargs="*", default=[], metavar="FOLDER",
                        help="corpus folders to leave out (e.g. palestrina)")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.key_check:
        print(json.dumps(key_check(args.data_dir), indent=1))
        return 0
    if not args.genres:
        parser.error("name the genres to build (--genres ...) or ask for --key-check")
    reports = {}
    for genre in args.genres:
        name = get_genre(genre).name
        if not SOURCES[name]:
            reports[name] = {"genre": name, "kept": 0, "note": "no corpus folder fits this genre"}
            continue
        reports[name] = build_genre(name, args.cache_dir, args.data_dir, args.skip)
        log.info("%s: %s", name, json.dumps({k: reports[name][k] for k in ("kept", "kept_frames", "dropped")}))
    print(json.dumps(reports, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
