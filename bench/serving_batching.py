"""Dynamic batching of /wiki jobs: jobs/min at 1, 4 and 16 concurrent requests, batched vs sequential.

Both sides go through the real path: a private redis-server, a real
``celery -A workers.app worker`` process, jobs sent by task name and collected
from the result backend. The only difference is the text worker:

- sequential: ``-P prefork -c 1`` (one job at a time, as without batching);
- batched: ``-P threads -c 16`` with the dynamic batcher (window BATCH_WINDOW_MS).

For each concurrency C, ``--rounds`` bursts of C simultaneous jobs are sent and
timed from the first send to the last result.

Run: ``.venv/bin/python bench/serving_batching.py --length 1000 --rounds 3``
(``--model-dir`` defaults to MODEL_DIR / models/checkpoints).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.workers.embedded_harness import wait_warm  # noqa: E402
from workers import contracts  # noqa: E402
from workers.app import create_app  # noqa: E402
from workers.contracts import WikiJob, WikiResult, result_from_dict  # noqa: E402
from workers.embedded import RedisServer, WorkerProcess  # noqa: E402
from workers.settings import get_settings, load_settings  # noqa: E402

SEEDS = ["The history of the city", "The album was released", "In mathematics , a group",
         "The battle began at dawn", "The species is found in", "The film received"]


def burst(app, concurrency: int, length: int, round_no: int) -> tuple[float, list[WikiResult]]:
    jobs = [WikiJob(job_id=contracts.new_job_id(), seed=SEEDS[i % len(SEEDS)], length=length,
                    temperature=0.8, rng_seed=1000 * round_no + i) for i in range(concurrency)]
    started = time.perf_counter()
    sent = [app.send_task(contracts.TASK_WIKI, args=[job.to_dict()]) for job in jobs]
    results = [result_from_dict(s.get(timeout=600)) for s in sent]
    elapsed = time.perf_counter() - started
    bad = [r for r in results if not isinstance(r, WikiResult)]
    if bad:
        raise RuntimeError(f"failed jobs: {bad[:2]}")
    return elapsed, results  # type: ignore[return-value]


def measure(redis_url: str, model_dir: Path, pool: str, concurrency_levels: list[int], length: int,
            rounds: int, log_dir: Path) -> dict[int, tuple[float, float]]:
    """{C: (jobs per minute, mean batch size)} for one worker configuration."""
    worker = WorkerProcess(redis_url, queues=("text",), pool=pool, concurrency=16 if pool == "threads" else 1,
                           env={"MODEL_DIR": str(model_dir), "LOG_LEVEL": "INFO", "WARMUP": "wiki",
                                "BATCH_MAX_SIZE": str(max(concurrency_levels))},
                           log_path=log_dir / f"worker-{pool}.log").start(timeout=120)
    wait_warm(worker)  # every batch bucket compiled, as a production worker with WARMUP=wiki
    app = create_app(load_settings({"REDIS_URL": redis_url}))
    try:
        burst(app, 1, 100, 0)  # load TensorFlow and the model, trace the generate function
        out = {}
        for c in concurrency_levels:
            burst(app, c, length, 99)  # warm this batch shape
            times, sizes = [], []
            for r in range(rounds):
                elapsed, results = burst(app, c, length, r + 1)
                times.append(elapsed)
                sizes += [res.batch_size for res in results]
            out[c] = (60.0 * c * rounds / sum(times), statistics.mean(sizes))
            print(f"  {pool:8s} C={c:2d}: {out[c][0]:7.1f} jobs/min, mean batch {out[c][1]:.1f}", flush=True)
        return out
    finally:
        app.close()
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=get_settings().model_dir)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    if not (args.model_dir / "wiki_writer.keras").is_file():
        sys.exit(f"no wiki_writer.keras in {args.model_dir}")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-batching-"))
    with RedisServer() as redis_server:
        print(f"model {args.model_dir / 'wiki_writer.keras'}, length {args.length}, rounds {args.rounds}")
        seq = measure(redis_server.url, args.model_dir, "prefork", args.concurrency, args.length,
                      args.rounds, log_dir)
        bat = measure(redis_server.url, args.model_dir, "threads", args.concurrency, args.length,
                      args.rounds, log_dir)
    print()
    print("| concurrent jobs | sequential jobs/min | batched jobs/min | speedup | mean batch size |")
    print("|---|---|---|---|---|")
    for c in args.concurrency:
        print(f"| {c} | {seq[c][0]:.1f} | {bat[c][0]:.1f} | {bat[c][0] / seq[c][0]:.2f}x | {bat[c][1]:.1f} |")


if __name__ == "__main__":
    main()
