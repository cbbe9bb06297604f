"""Would batching /compose jobs pay? Where the time of one compose job goes, per music model.

Dynamic batching pays for /wiki because sampling 1,000 characters is most of a
job's time and a batch of 16 rows costs about as much as one. A /compose job is
model sampling (``registry.module(kind).generate``) plus rendering (MIDI, audio
synthesis and OGG encoding, the piano-roll PNG), and only the sampling could be
shared by a batch. This runs ``workers.pipeline.run_compose`` (the code a music
worker runs, without Celery) ``--runs`` times per model after a warm-up job, and
reports the sampling time, the whole job's time, and the best speedup batching
could give at C concurrent jobs if a batch of C cost no more than one job's
sampling (Amdahl: ``total / (total - sampling + sampling / C)``).

Run: ``.venv/bin/python bench/serving_music_batching.py --genre chorale --seconds 30 --runs 5``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from workers import contracts, pipeline  # noqa: E402
from workers.contracts import ComposeJob, MusicResult  # noqa: E402
from workers.settings import load_settings  # noqa: E402


def measure(kind: str, genre: str, seconds: float, runs: int, model_dir: Path) -> dict[str, float]:
    settings = load_settings({"MODEL_DIR": str(model_dir)})
    sampling, totals = [], []
    for i in range(runs + 1):  # the first job loads the model and traces: not counted
        job = ComposeJob(job_id=contracts.new_job_id(), genre=genre, model=kind, seconds=seconds, rng_seed=i)
        started = time.perf_counter()
        result = pipeline.run_compose(job, settings)
        total = time.perf_counter() - started
        if not isinstance(result, MusicResult):
            raise RuntimeError(f"{kind}: {result}")
        if i:
            sampling.append(result.generation_seconds)
            totals.append(total)
    s, t = statistics.median(sampling), statistics.median(totals)
    bound = {c: t / (t - s + s / c) for c in (4, 16)}
    return {"sampling_s": s, "total_s": t, "share": s / t, "bound_4": bound[4], "bound_16": bound[16]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=load_settings().model_dir)
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kinds", nargs="+", default=["lstm", "nade", "rnn_rbm", "rbm"])
    args = parser.parse_args()
    rows = {}
    for kind in args.kinds:
        rows[kind] = measure(kind, args.genre, args.seconds, args.runs, args.model_dir)
    print(f"{args.genre}, {args.seconds:g} s clips (OGG + MIDI + PNG), median of {args.runs} jobs")
    print()
    print("| model | sampling | whole job | sampling share | best batched speedup at C=4 | at C=16 |")
    print("|---|---|---|---|---|---|")
    for kind, r in rows.items():
        print(f"| {kind} | {r['sampling_s'] * 1000:.0f} ms | {r['total_s'] * 1000:.0f} ms | {r['share']:.1%} | "
              f"{r['bound_4']:.2f}x | {r['bound_16']:.2f}x |")
    print()
    print(json.dumps({"genre": args.genre, "seconds": args.seconds, "runs": args.runs, "rows": rows}))


if __name__ == "__main__":
    main()
