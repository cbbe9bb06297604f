"""Compare generated MIDI with a genre's data, feature by feature.

``python -m models.music.stats --genre ragtime --samples DIR`` reads every
``*.mid`` in DIR onto the genre's grid, cuts the genre's data (test split by
default) into windows as long as the median sample, computes the sample
statistics of :mod:`models.music.metrics` for both sets, and prints JSON (or
writes it with ``--json``) plus a markdown table (``--markdown``): per
feature, both means and the overlapping area of the two distributions.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.music.datasets import load_genre
from models.music.genres import get_genre
from models.music.metrics import FEATURES, compare_sets, sample_statistics
from models.music.midi_io import MIDIConversionError, MidiLimits, midi_bytes_to_roll


def windows(rolls: Sequence[np.ndarray], length: int, max_windows: int, seed: int = 0) -> list[np.ndarray]:
    """Non-overlapping windows of ``length`` steps (shorter pieces whole), at most
    ``max_windows`` of them, picked with a seeded RNG."""
    out = []
    for r in rolls:
        if r.shape[0] <= length:
            out.append(r)
            continue
        out += [r[s : s + length] for s in range(0, r.shape[0] - length + 1, length)]
    if len(out) > max_windows:
        pick = np.random.default_rng(seed).choice(len(out), max_windows, replace=False)
        out = [out[i] for i in sorted(pick)]
    return out


def read_samples(folder: Path, steps_per_beat: int) -> tuple[list[np.ndarray], list[str]]:
    rolls, skipped = [], []
    limits = MidiLimits(max_bytes=20_000_000)
    for f in sorted(folder.glob("*.mid")) + sorted(folder.glob("*.midi")):
        try:
            roll, _ = midi_bytes_to_roll(f.read_bytes(), steps_per_beat, limits=limits)
        except MIDIConversionError as exc:
            skipped.append(f"{f.name}: {exc}")
            continue
        rolls.append(roll)
    return rolls, skipped


def compare(
    genre: str,
    samples: Sequence[np.ndarray],
    *,
    split: str = "test",
    max_windows: int = 500,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    g = get_genre(genre)
    if not samples:
        raise ValueError("no samples to compare")
    length = int(np.median([s.shape[0] for s in samples]))
    data = windows(load_genre(g.name, data_dir)[split], max(length, 1), max_windows)
    stat = lambda r: sample_statistics(r, g.steps_per_beat, beats_per_bar=g.beats_per_bar)  # noqa: E731
    return {
        "genre": g.name,
        "split": split,
        "steps_per_beat": g.steps_per_beat,
        "samples": len(samples),
        "data_windows": len(data),
        "window_steps": length,
        "features": compare_sets([stat(s) for s in samples], [stat(d) for d in data]),
    }


def markdown_table(result: dict[str, Any]) -> str:
    fmt = lambda x: "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"  # noqa: E731
    lines = [
        f"Genre **{result['genre']}**: {result['samples']} generated clips vs "
        f"{result['data_windows']} windows of {result['window_steps']} steps from the "
        f"{result['split']} split.",
        "",
        "| feature | generated mean | data mean | overlap |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in FEATURES:
        f = result["features"][name]
        lines.append(f"| {name} | {fmt(f['generated_mean'])} | {fmt(f['data_mean'])} | {fmt(f['overlap'])} |")
    return "\n".join(lines) + "\n"


def _clean(obj: Any) -> Any:
    """NaN -> None so the JSON is standard."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genre", required=True)
    parser.add_argument("--samples", type=Path, required=True, help="folder of generated .mid files")
    parser.add_argument("--split", default="test", choices=("train", "valid", "test"))
    parser.add_argument("--max-windows", type=int, default=500)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write JSON here (default: stdout)")
    parser.add_argument("--markdown", type=Path, default=None, help="also write a markdown table here")
    args = parser.parse_args(argv)
    g = get_genre(args.genre)
    rolls, skipped = read_samples(args.samples, g.steps_per_beat)
    if not rolls:
        print(f"no readable MIDI files in {args.samples}", file=sys.stderr)
        return 2
    result = compare(g.name, rolls, split=args.split, max_windows=args.max_windows, data_dir=args.data_dir)
    result["skipped"] = skipped
    text = json.dumps(_clean(result), indent=1)
    if args.json:
        args.json.write_text(text + "\n")
    else:
        print(text)
    table = markdown_table(result)
    if args.markdown:
        args.markdown.write_text(table)
    else:
        print(table, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
