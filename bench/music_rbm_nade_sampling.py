"""Benchmark: model time to sample a 30-second clip with the NADE, RNN-RBM and RBM composers
(budgets: <= 0.5 s for NADE, <= 1 s for Gibbs sampling, on 2 CPU cores).

    python bench/music_rbm_nade_sampling.py [--models nade,rnn_rbm,rbm] [--genres chorale,folk,...]
        [--repeat 5]

For each model and genre: the number of grid steps in 30 s at the genre's tempo
and grid, then ``generate`` (one tf.function) timed after one warm-up call
(tracing and XLA compilation happen there, once per process). Uses the shipped
checkpoint when there is one, else an untrained model of the genre's default
config (the sampling cost does not depend on the weights). Reports min and
median wall time and the process CPU time per call (all threads; on a machine
shared with other jobs this is the robust figure). Prints one JSON line per row.
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from models.music import registry  # noqa: E402
from models.music.genres import GENRES  # noqa: E402

SECONDS = 30.0


def model_for(kind: str, genre: str):
    path = registry.checkpoint_path(kind, genre)
    if path.exists():
        model, config, _ = registry.load(path)
        return model, config, str(path)
    mod = registry.module(kind)
    config = mod.config_for_genre(genre)
    return mod.build_model(config), config, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="nade,rnn_rbm,rbm")
    parser.add_argument("--genres", default=",".join(GENRES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    for kind in args.models.split(","):
        mod = registry.module(kind)
        for genre in args.genres.split(","):
            g = GENRES[genre]
            steps = round(SECONDS * g.tempo / 60.0 * g.steps_per_beat)
            model, config, checkpoint = model_for(kind, genre)
            started = time.perf_counter()
            mod.generate(model, config, steps, seed=0)
            first = time.perf_counter() - started
            walls, cpus = [], []
            for seed in range(1, args.repeat + 1):
                c0, w0 = time.process_time(), time.perf_counter()
                roll = mod.generate(model, config, steps, seed=seed)
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
            print(json.dumps({
                "model": kind,
                "genre": genre,
                "steps": steps,
                "seconds_of_music": SECONDS,
                "wall_min_s": round(min(walls), 4),
                "wall_median_s": round(statistics.median(walls), 4),
                "cpu_median_s": round(statistics.median(cpus), 4),
                "first_call_s": round(first, 2),
                "notes_per_step": round(float(roll.sum()) / steps, 2),
                "checkpoint": checkpoint,
                "cores": os.cpu_count(),
                "cpu": platform.processor() or platform.machine(),
                "load_avg_1m": round(os.getloadavg()[0], 1),
            }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
