"""Polyphonic music datasets as piano rolls of 88 keys (MIDI 21-108).

Boulanger-Lewandowski et al. (2012): JSB Chorales, Nottingham, Piano-midi.de and
MuseData, read from ``<DATA_DIR>/music/boulanger2012/<name>.json.gz`` with their
exact train/valid/test splits. Each piece becomes a ``(T, 88)`` uint8 array.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np

LOWEST_PITCH = 21  # A0
NUM_KEYS = 88  # A0..C8

BOULANGER = {
    "jsb": "jsb_chorales",
    "nottingham": "nottingham",
    "piano_midi_de": "piano_midi_de",
    "musedata": "musedata",
}
SPLITS = ("train", "valid", "test")


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
