"""Scale-out: a mixed /wiki + /compose load on one worker vs two workers on separate queues.

Both configurations go through a private redis-server and real
``celery -A workers.app worker`` processes (prefork, one child each):

- one worker consuming ``text,music``;
- two workers, one per queue (``-Q text`` and ``-Q music``), as in docker-compose.

Each round sends N wiki jobs (``--length`` characters) and N compose jobs
(``--seconds`` of ``--genre``) at once and times the burst from the first send to
the last result. Reported: jobs/min per configuration and the ratio.

``--pin`` gives worker i core i (``sched_setaffinity`` on every thread of the worker
and of its pool children, as ``taskset -a`` would), so the two workers never
migrate onto each other's core; the one worker gets core 0.

Run: ``.venv/bin/python bench/serving_scaleout.py --model-dir <dir with wiki_writer and music_lstm_chorale> --jobs 6 --rounds 2``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers import contracts  # noqa: E402
from workers.app import create_app  # noqa: E402
from workers.contracts import ComposeJob, ErrorResult, WikiJob, result_from_dict  # noqa: E402
from workers.embedded import RedisServer, WorkerProcess  # noqa: E402
from workers.settings import get_settings, load_settings  # noqa: E402


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc."""
    pids, i = [pid], 0
    while i < len(pids):
        for task in Path(f"/proc/{pids[i]}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            pids.extend(int(c) for c in children)
        i += 1
    return pids


def pin(pid: int, core: int) -> int:
    """Put every thread of ``pid`` and of its descendants on ``core``; returns the thread count."""
    threads = 0
    for p in process_tree(pid):
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                os.sched_setaffinity(int(task.name), {core})
                threads += 1
            except (ProcessLookupError, PermissionError):
                pass
    return threads


def burst(app, n: int, length: int, seconds: float, genre: str, round_no: int,
          kinds: tuple[str, ...] = ("wiki", "compose")) -> float:
    jobs = []
    for i in range(n):
        if "wiki" in kinds:
            jobs.append((contracts.TASK_WIKI, WikiJob(job_id=contracts.new_job_id(), seed="The history of the city",
                                                      length=length, rng_seed=round_no * 100 + i)))
        if "compose" in kinds:
            jobs.append((contracts.TASK_COMPOSE, ComposeJob(job_id=contracts.new_job_id(), genre=genre,
                                                            model="lstm", seconds=seconds,
                                                            rng_seed=round_no * 100 + i)))
    started = time.perf_counter()
    sent = [app.send_task(name, args=[job.to_dict()]) for name, job in jobs]
    results = [result_from_dict(s.get(timeout=900)) for s in sent]
    elapsed = time.perf_counter() - started
    bad = [r for r in results if isinstance(r, ErrorResult)]
    if bad:
        raise RuntimeError(f"failed jobs: {bad[:2]}")
    return elapsed


def measure(layout: list[tuple[str, ...]], model_dir: Path, args: argparse.Namespace, log_dir: Path,
            per_kind: dict[str, float] | None = None) -> float:
    with RedisServer() as server:
        workers = [WorkerProcess(server.url, queues=queues, env={"MODEL_DIR": str(model_dir), "LOG_LEVEL": "WARNING",
                                      "TASK_SOFT_TIME_LIMIT": "900", "TASK_TIME_LIMIT": "1000"},
                                 log_path=log_dir / f"{'-'.join(queues)}.log").start(timeout=120)
                   for queues in layout]
        app = create_app(load_settings({"REDIS_URL": server.url}))
        try:
            # Load the models and compile the sampling buckets of these job sizes in every worker.
            burst(app, 1, args.length, args.seconds, args.genre, 0)
            if args.pin:  # after the warm-up burst, so TensorFlow's thread pools exist and are pinned too
                cores = sorted(os.sched_getaffinity(0))
                for i, worker in enumerate(workers):
                    pin(worker.pid, cores[i % len(cores)])
            elapsed = sum(burst(app, args.jobs, args.length, args.seconds, args.genre, r + 1)
                          for r in range(args.rounds))
            if per_kind is not None:  # how the work splits between the two queues
                for kind in ("wiki", "compose"):
                    per_kind[kind] = sum(burst(app, args.jobs, args.length, args.seconds, args.genre, r + 1,
                                               (kind,)) for r in range(args.rounds))
        finally:
            app.close()
            for worker in workers:
                worker.stop()
    rate = 60.0 * 2 * args.jobs * args.rounds / elapsed
    print(f"  {' + '.join(','.join(q) for q in layout):14s}: {rate:6.1f} jobs/min", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=get_settings().model_dir)
    parser.add_argument("--jobs", type=int, default=6, help="wiki jobs and compose jobs per burst (each)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--pin", action="store_true", help="pin worker i (all its threads) to core i")
    args = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    per_kind: dict[str, float] = {}
    one = measure([("text", "music")], args.model_dir, args, log_dir, per_kind)
    two = measure([("text",), ("music",)], args.model_dir, args, log_dir)
    wiki, compose = per_kind["wiki"], per_kind["compose"]
    print(f"  one worker, each kind alone: wiki {wiki:.2f} s, compose {compose:.2f} s for {args.rounds} x "
          f"{args.jobs} jobs; two queues can at best give (wiki + compose) / max = "
          f"{(wiki + compose) / max(wiki, compose):.2f}x")
    print()
    print("| workers | jobs/min (mixed wiki + compose) | vs one worker |")
    print("|---|---|---|")
    print(f"| 1 (text,music) | {one:.1f} | 1.00x |")
    print(f"| 2 (text / music) | {two:.1f} | {two / one:.2f}x |")


if __name__ == "__main__":
    main()
