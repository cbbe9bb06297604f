"""Benchmark: parsing a 1 MB MIDI upload (budget: <= 0.5 s on 2 CPU cores).

    python bench/midi_parse.py [--repeat 7]

Two 1 MB inputs: ``dense`` (one track of 125k notes with random pitches, the
worst case for note pairing) and ``joplin`` (a type-1 file made of the tracks
of the 18 Joplin rags, repeated to ~1 MB: what a large real upload looks
like). Reports min and median wall time of ``midi_bytes_to_roll(data, 4)``,
and mido's own parse of the same bytes for comparison. Prints JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.music.datasets import default_data_dir  # noqa: E402
from models.music.midi_io import midi_bytes_to_roll  # noqa: E402


def dense_midi(size: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    n = (size - 30) // 8
    ev = np.zeros((n, 8), np.uint8)
    ev[:, 0] = rng.integers(0, 2, n)
    ev[:, 1] = 0x90
    ev[:, 2] = ev[:, 6] = rng.integers(21, 109, n)
    ev[:, 3] = rng.integers(1, 128, n)
    ev[:, 4] = 4
    ev[:, 5] = 0x80
    ev[:, 7] = 64
    track = ev.tobytes() + b"\x00\xff\x2f\x00"
    return b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk" + len(track).to_bytes(4, "big") + track


def joplin_midi(size: int) -> bytes:
    """Concatenate the MTrk chunks of the Joplin rags (all 384 ppq) into one type-1 file."""
    tracks = []
    for f in sorted((default_data_dir() / "midi" / "ragtime").glob("*.mid")):
        data = f.read_bytes()
        pos = 8 + int.from_bytes(data[4:8], "big")
        while pos + 8 <= len(data):
            n = int.from_bytes(data[pos + 4 : pos + 8], "big")
            tracks.append(data[pos : pos + 8 + n])
            pos += 8 + n
    body, i = b"", 0
    while len(body) + len(tracks[i % len(tracks)]) + 14 <= size and i < 250:
        body += tracks[i % len(tracks)]
        i += 1
    return b"MThd\x00\x00\x00\x06\x00\x01" + i.to_bytes(2, "big") + (384).to_bytes(2, "big") + body


def timeit(fn, repeat: int) -> dict[str, float]:
    times, cpu = [], []
    for _ in range(repeat):
        start, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - c)
    return {
        "min_s": round(min(times), 4),
        "median_s": round(statistics.median(times), 4),
        "cpu_median_s": round(statistics.median(cpu), 4),  # single-threaded: = wall time when idle
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--mido", action="store_true", help="also time mido.MidiFile on the same bytes")
    args = parser.parse_args()
    out = {
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "cases": {},
    }
    for name, data in (("dense", dense_midi(1_000_000)), ("joplin", joplin_midi(1_000_000))):
        roll, info = midi_bytes_to_roll(data, 4)
        case = {"bytes": len(data), "notes": info["notes"], "steps": roll.shape[0]}
        case.update(timeit(lambda d=data: midi_bytes_to_roll(d, 4), args.repeat))
        if args.mido:
            import mido

            case["mido"] = timeit(lambda d=data: mido.MidiFile(file=io.BytesIO(d)), 3)
        out["cases"][name] = case
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
