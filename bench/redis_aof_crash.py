"""What a Redis process crash loses with ``appendonly yes`` and ``appendfsync everysec``.

Each run starts a private redis-server with an AOF, makes ``--writes`` SETs (in pipelines of
1,000, every reply read, so each write was acknowledged), SIGKILLs the server at once, without
waiting for the once-a-second fsync, starts it again on the same directory and counts the keys
the AOF replayed. A host crash (power, kernel) is not what this measures: there the page cache
is lost too.

Run: ``.venv/bin/python bench/redis_aof_crash.py --runs 5 --writes 20000``
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers.embedded import RedisServer, find_redis_server  # noqa: E402


def crash_once(binary: Path, writes: int) -> int:
    """Keys found after the SIGKILL and the AOF replay, of ``writes`` acknowledged."""
    workdir = Path(tempfile.mkdtemp(prefix="wikimuse-aof-crash-"))
    server = RedisServer(binary, password="", appendonly=True, workdir=workdir).start()
    try:
        with redis.Redis(port=server.port) as client:
            client.config_set("appendfsync", "everysec")
            for start in range(0, writes, 1000):
                pipe = client.pipeline(transaction=False)
                for i in range(start, min(start + 1000, writes)):
                    pipe.set(f"k{i}", "x" * 100)
                pipe.execute()
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        server.start()  # same port and directory: Redis replays the AOF
        with redis.Redis(port=server.port) as client:
            return int(client.dbsize())
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writes", type=int, default=20000)
    args = parser.parse_args()
    binary = find_redis_server(prefer="path")
    found = [crash_once(binary, args.writes) for _ in range(args.runs)]
    for run, count in enumerate(found):
        print(f"run {run}: {args.writes} acknowledged, {count} after SIGKILL and AOF replay")
    print("AOF_CRASH_JSON " + json.dumps({"binary": str(binary), "writes": args.writes, "found": found,
                                          "lost": [args.writes - c for c in found]}))


if __name__ == "__main__":
    main()
