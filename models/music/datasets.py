"""Polyphonic music datasets as piano rolls of 88 keys (MIDI 21-108).

* Boulanger-Lewandowski et al. (2012): JSB Chorales, Nottingham, Piano-midi.de
  and MuseData, read from ``<DATA_DIR>/music/boulanger2012/<name>.json.gz`` with
  their exact train/valid/test splits. Each piece becomes a ``(T, 88)`` uint8 array.
* MIDI folders quantized onto a beat grid: Scott Joplin rags
  (``midi/ragtime/*.mid``) and the Weimar Jazz Database solos
  (``midi/jazz/wjazzd_v1_2/solos_midi.zip``, read in memory), with deterministic
  splits (see :func:`split_names`).

``load_genre(genre)`` returns the data behind a genre of ``models.music.genres``.
``python -m models.music.datasets --stats`` prints pieces and time steps per split.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from models.music.genres import get_genre
from models.music.midi_io import MidiLimits, midi_bytes_to_notes
from models.music.pianoroll import NoteArrays, quantize

LOWEST_PITCH = 21  # A0
NUM_KEYS = 88  # A0..C8

BOULANGER = {
    "jsb": "jsb_chorales",
    "nottingham": "nottingham",
    "piano_midi_de": "piano_midi_de",
    "musedata": "musedata",
}
SPLITS = ("train", "valid", "test")
MIDI_DATASETS = ("joplin", "wjazzd")
DATASETS = (*BOULANGER, *MIDI_DATASETS)

RAGTIME_DIR = Path("midi/ragtime")
WJAZZD_ZIP = Path("midi/jazz/wjazzd_v1_2/solos_midi.zip")
WJAZZD_META = Path("midi/jazz/wjazzd_v1_2/df_solos.csv")
WJAZZD_FILE_BPM = 120.0  # the shipped MIDI is written at a fixed 120 bpm (seconds * 2 = beats)

# Files in our data folders are trusted, but still go through the bounded reader.
_DATA_LIMITS = MidiLimits(max_bytes=50_000_000)


def default_data_dir() -> Path:
    """DATA_DIR if set, else ../shared/data beside the repository (offline copy)."""
    env = os.environ.get("DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def pitches_to_roll(steps: list[list[int]]) -> np.ndarray:
    """List of time steps (each a list of MIDI pitches) -> (T, 88) uint8 roll."""
    roll = np.zeros((len(steps), NUM_KEYS), dtype=np.uint8)
    for t, pitches in enumerate(steps):
        for p in pitches:
            k = int(p) - LOWEST_PITCH
            if 0 <= k < NUM_KEYS:
                roll[t, k] = 1
    return roll


def load_boulanger(name: str, data_dir: str | Path | None = None) -> dict[str, list[np.ndarray]]:
    """Return {"train": [...], "valid": [...], "test": [...]} of (T, 88) uint8 rolls."""
    if name not in BOULANGER:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(BOULANGER)}")
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    path = base / "music" / "boulanger2012" / f"{BOULANGER[name]}.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    return {split: [pitches_to_roll(piece) for piece in raw[split]] for split in SPLITS}


def split_names(names: Iterable[str], valid: float = 0.1, test: float = 0.1) -> dict[str, list[str]]:
    """Deterministic train/valid/test split of piece names.

    Pieces are ordered by the SHA-256 of their name (stable across machines,
    Python versions and file-system order, and unchanged for existing pieces
    when new ones are added elsewhere in the order); the first ``test``
    fraction is the test split, the next ``valid`` fraction the valid split,
    at least one piece each when there are three or more.
    """
    ordered = sorted(set(names), key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    n = len(ordered)
    n_test = max(1, round(n * test)) if n >= 3 else 0
    n_valid = max(1, round(n * valid)) if n >= 3 else 0
    out = {
        "test": ordered[:n_test],
        "valid": ordered[n_test : n_test + n_valid],
        "train": ordered[n_test + n_valid :],
    }
    return {k: sorted(v) for k, v in out.items()}


def _split_rolls(rolls: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    parts = split_names(rolls)
    return {split: [rolls[name] for name in parts[split]] for split in SPLITS}


def load_joplin(
    data_dir: str | Path | None = None, steps_per_beat: int | None = None
) -> dict[str, list[np.ndarray]]:
    """The Joplin rags, quantized by beats (file ticks / resolution), not seconds."""
    spb = steps_per_beat or get_genre("ragtime").steps_per_beat
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    files = sorted((base / RAGTIME_DIR).glob("*.mid"))
    if not files:
        raise FileNotFoundError(f"no MIDI files in {base / RAGTIME_DIR}")
    rolls = {}
    for f in files:
        notes, _ = midi_bytes_to_notes(f.read_bytes(), limits=_DATA_LIMITS)
        rolls[f.stem] = quantize(notes, spb).roll
    return _split_rolls(rolls)


def wjazzd_tempos(data_dir: str | Path | None = None) -> dict[str, float]:
    """Average tempo (bpm) of each WJazzD solo with one, keyed by base name."""
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    tempos = {}
    with open(base / WJAZZD_META, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                bpm = float(row["avgtempo"])
            except (KeyError, ValueError):
                continue
            if bpm > 0:
                tempos[row["base_name"]] = bpm
    return tempos


def load_wjazzd(
    data_dir: str | Path | None = None, steps_per_beat: int | None = None
) -> dict[str, list[np.ndarray]]:
    """The Weimar Jazz Database solos with a known tempo, on a beat grid.

    The zip is read in memory. Onsets are in seconds (file beats / 2); each
    solo's average tempo turns them into beats.
    """
    spb = steps_per_beat or get_genre("jazz").steps_per_beat
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    tempos = wjazzd_tempos(base)
    rolls = {}
    with zipfile.ZipFile(io.BytesIO((base / WJAZZD_ZIP).read_bytes())) as zf:
        for member in sorted(zf.namelist()):
            stem = Path(member).stem
            if not member.endswith(".mid") or stem not in tempos:
                continue
            notes, _ = midi_bytes_to_notes(zf.read(member), limits=_DATA_LIMITS)
            scale = tempos[stem] / WJAZZD_FILE_BPM  # file beats -> real beats
            real = NoteArrays(notes.start * scale, notes.end * scale, notes.pitch, notes.velocity)
            rolls[stem] = quantize(real, spb).roll
    if not rolls:
        raise FileNotFoundError(f"no WJazzD solos with a tempo in {base / WJAZZD_ZIP}")
    return _split_rolls(rolls)


def load_dataset(name: str, data_dir: str | Path | None = None) -> dict[str, list[np.ndarray]]:
    """Any dataset by key (see DATASETS), on its native grid."""
    if name in BOULANGER:
        return load_boulanger(name, data_dir)
    if name == "joplin":
        return load_joplin(data_dir)
    if name == "wjazzd":
        return load_wjazzd(data_dir)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def load_genre(genre: str, data_dir: str | Path | None = None) -> dict[str, list[np.ndarray]]:
    """{"train","valid","test": [(T, 88) uint8 rolls]} for a genre of models.music.genres."""
    g = get_genre(genre)
    if g.dataset in BOULANGER:
        return load_boulanger(g.dataset, data_dir)
    if g.dataset == "joplin":
        return load_joplin(data_dir, g.steps_per_beat)
    if g.dataset == "wjazzd":
        return load_wjazzd(data_dir, g.steps_per_beat)
    raise ValueError(f"genre {genre!r} has unknown dataset {g.dataset!r}")


def dataset_stats(data: dict[str, list[np.ndarray]]) -> dict[str, dict[str, int]]:
    return {
        split: {"pieces": len(rolls), "steps": int(sum(r.shape[0] for r in rolls))}
        for split, rolls in data.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", action="store_true", help="print pieces/time steps per split as JSON")
    parser.add_argument("--dataset", action="append", choices=DATASETS, help="default: all")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.stats:
        parser.print_help()
        return 0
    out = {name: dataset_stats(load_dataset(name, args.data_dir)) for name in args.dataset or DATASETS}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
