"""Benchmark: a 30-second clip -> MIDI + OGG + MP3 + PNG with render_clip
(budget: <= 1.0 s on 2 CPU cores, with FluidSynth and with the built-in synth).

    python bench/render_clip.py [--repeat 5] [--clip ragtime|classical_piano]

The clip is real music: 30 s of a Joplin rag (ragtime grid, 100 bpm) or of a
Piano-midi.de test piece (eighth grid, 100 bpm, denser). Reports min and median
wall time per engine, the CPU time of the process (all threads: on a machine
shared with other jobs this is the robust figure, an upper bound of the wall
time when the two cores are free), the phase breakdown of one run, and the
output sizes.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.music.datasets import default_data_dir, load_boulanger  # noqa: E402
from models.music.genres import get_genre  # noqa: E402
from models.music.midi_io import midi_file_to_roll  # noqa: E402
from models.music.pianoroll import steps_for_seconds  # noqa: E402
from workers.render import FILE_TYPES, render_clip  # noqa: E402
from workers.render.audio import encode_audio, find_soundfont, fluidsynth_available, render_audio  # noqa: E402
from workers.render.image import render_piano_roll_png  # noqa: E402
from workers.render.midi import notes_to_midi_bytes, roll_to_tracks  # noqa: E402

TEMPO = 100


def clip_roll(kind: str):
    if kind == "ragtime":
        g = get_genre("ragtime")
        roll, _ = midi_file_to_roll(default_data_dir() / "midi/ragtime/joplin_maple_leaf_rag.mid", g.steps_per_beat)
    else:
        g = get_genre("classical_piano")
        roll = max(load_boulanger("piano_midi_de")["test"], key=lambda r: r.sum())
    steps = steps_for_seconds(30, TEMPO, g.steps_per_beat)
    return roll[:steps], g


def phases(roll, g, engine, soundfont) -> dict[str, float]:
    t = {}
    s = time.perf_counter()
    tracks = roll_to_tracks(roll, g.steps_per_beat, g.programs)
    notes_to_midi_bytes(tracks, TEMPO)
    t["midi_s"] = time.perf_counter() - s
    s = time.perf_counter()
    audio, _ = render_audio(tracks, TEMPO, soundfont=soundfont, engine=engine)
    t["synth_s"] = time.perf_counter() - s
    for fmt in ("ogg", "mp3"):
        s = time.perf_counter()
        encode_audio(audio, 32_000, fmt)
        t[f"{fmt}_s"] = time.perf_counter() - s
    s = time.perf_counter()
    render_piano_roll_png(tracks[0][1], beats_per_bar=g.beats_per_bar, title="bench")
    t["png_s"] = time.perf_counter() - s
    return {k: round(v, 4) for k, v in t.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clip", default="ragtime", choices=("ragtime", "classical_piano"))
    args = parser.parse_args()
    roll, g = clip_roll(args.clip)
    soundfont = find_soundfont([default_data_dir()])
    engines = ["builtin"] + (["fluidsynth"] if fluidsynth_available() and soundfont else [])
    out = {
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "clip": args.clip,
        "steps": int(roll.shape[0]),
        "soundfont": soundfont.name if soundfont else None,
        "engines": {},
    }
    for engine in engines:
        render_clip(roll, g.steps_per_beat, TEMPO, g.programs, soundfont=soundfont, engine=engine)  # warm-up
        times, cpu = [], []
        for _ in range(args.repeat):
            s, c = time.perf_counter(), time.process_time()
            res = render_clip(roll, g.steps_per_beat, TEMPO, g.programs, genre=g.name, model="bench",
                              beats_per_bar=g.beats_per_bar, soundfont=soundfont, engine=engine)
            times.append(time.perf_counter() - s)
            cpu.append(time.process_time() - c)
        out["engines"][engine] = {
            "min_s": round(min(times), 4),
            "median_s": round(statistics.median(times), 4),
            # CPU seconds of all threads: an upper bound of the wall time on an idle machine
            "cpu_min_s": round(min(cpu), 4),
            "cpu_median_s": round(statistics.median(cpu), 4),
            "seconds": round(res["seconds"], 2),
            "notes": res["notes"],
            "bytes": {k: len(res[k]) for k in FILE_TYPES if k in res},
            "phases_sequential": phases(roll, g, engine, soundfont),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
