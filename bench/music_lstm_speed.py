"""Model time to generate a 30-second clip with the shipped LSTM and encoder-decoder checkpoints.

    python bench/music_lstm_speed.py [--seconds 30] [--repeat 20] [--kinds lstm seq2seq] [--tempo 240]

For every shipped ``music_<kind>_<genre>`` checkpoint of those kinds: the clip
length in steps is ``seconds * tempo / 60 * steps_per_beat`` at the genre's
default tempo; one warm-up call traces the generation ``tf.function`` (timed
apart, as ``first_call_s``), then ``--repeat`` calls with different seeds are
timed (median and max). The encoder-decoder is primed with 4 bars of the
genre's test data. Model time only: no MIDI or audio rendering.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.music import registry  # noqa: E402
from models.music.datasets import load_genre  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tempo", type=float, default=None, help="default: each genre's tempo")
    parser.add_argument("--kinds", nargs="+", default=["lstm", "seq2seq"])
    args = parser.parse_args()

    rows = []
    for (kind, genre), path in sorted(registry.shipped().items()):
        if kind not in args.kinds:
            continue
        model, config, _ = registry.load(path)
        info = registry.genre_info(genre)
        tempo = args.tempo or info["tempo"]
        steps = math.ceil(args.seconds * tempo / 60 * info["steps_per_beat"])
        primer = None
        if kind == "seq2seq":
            bar = info["beats_per_bar"] * info["steps_per_beat"]
            primer = next(r for r in load_genre(genre)["test"] if r.shape[0] >= 4 * bar)[: 4 * bar]
        mod = registry.module(kind)
        t0 = time.perf_counter()
        mod.generate(model, config, steps, seed=0, primer=primer)
        first = time.perf_counter() - t0
        times, cpu = [], []
        for seed in range(1, args.repeat + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            mod.generate(model, config, steps, seed=seed, primer=primer)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rows.append({
            "kind": kind, "genre": genre, "steps": steps, "tempo": tempo,
            "steps_per_beat": info["steps_per_beat"], "params": int(model.count_params()),
            "first_call_s": round(first, 3), "median_s": round(statistics.median(times), 4),
            "max_s": round(max(times), 4), "cpu_median_s": round(statistics.median(cpu), 4),
            "load_avg_1m": round(os.getloadavg()[0], 1),
        })
        print(json.dumps(rows[-1]), flush=True)
    print(f"\n{args.seconds:g}-second clip, model time, {os.cpu_count()} CPU cores "
          f"({platform.processor() or platform.machine()}), {args.repeat} runs each\n")
    print("| model | genre | tempo | steps | params | wall median / max (s) | CPU median (s) "
          "| first call, tracing (s) | load 1m |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['kind']} | {r['genre']} | {r['tempo']:g} | {r['steps']} | {r['params']:,} "
              f"| {r['median_s']:.3f} / {r['max_s']:.3f} | {r['cpu_median_s']:.3f} "
              f"| {r['first_call_s']:.2f} | {r['load_avg_1m']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
