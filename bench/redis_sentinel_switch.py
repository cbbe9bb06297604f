"""Moving a Sentinel-managed master on purpose: which way loses no acknowledged write.

Each run starts a master, a replica in sync and one sentinel (``tests/sentinel_harness.py``),
and a writer: the bot's own asyncio client (``bot.redis_client.connect`` with the
``sentinel://`` URL) SETting a new key every 50 ms. Then the master is moved, either

- ``--how shutdown``: ``SHUTDOWN`` on the master, or
- ``--how sentinel-failover``: ``SENTINEL FAILOVER`` on the sentinel while the master runs,

and after ``--seconds`` the bench counts the writes that were acknowledged but are missing on
the promoted replica, the writes that failed, and when the first write after the move returned.

Run: ``.venv/bin/python bench/redis_sentinel_switch.py --how shutdown --runs 2``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.redis_client import aclose, connect  # noqa: E402
from tests.sentinel_harness import MASTER, Sentinel  # noqa: E402
from workers.embedded import RedisServer, find_redis_server  # noqa: E402


async def switch_once(how: str, seconds: float) -> dict[str, float | int]:
    binary = find_redis_server(prefer="path")
    master = RedisServer(binary, password="").start()
    replica = RedisServer(binary, password="").start()
    with redis.Redis(port=master.port) as client:
        client.config_set("repl-diskless-sync-delay", 0)
    with redis.Redis(port=replica.port) as client:
        client.replicaof("127.0.0.1", master.port)
    sentinel = Sentinel(Path(tempfile.mkdtemp(prefix="wikimuse-sentinel-")), master.port)
    writer = connect(sentinel.url, MASTER, socket_connect_timeout=2, socket_timeout=5)
    try:
        while not sentinel.knows_replica(replica.port):
            await asyncio.sleep(0.1)
        await writer.set("before", 1)
        if how == "shutdown":
            with redis.Redis(port=master.port) as client:
                client.shutdown()  # returns once the server closed the connection
        else:
            sentinel.client.execute_command("SENTINEL", "FAILOVER", MASTER)
        moved = time.monotonic()
        acknowledged: list[tuple[str, float]] = []
        failed = 0
        while time.monotonic() - moved < seconds:
            key = f"k{len(acknowledged)}"
            try:
                await writer.set(key, 1)
                acknowledged.append((key, time.monotonic() - moved))
            except redis.RedisError:
                failed += 1
            await asyncio.sleep(0.05)
        with redis.Redis(port=replica.port) as promoted:
            role = promoted.info("replication")["role"]
            missing = sum(not promoted.exists(key) for key, _ in acknowledged)
        return {"acknowledged": len(acknowledged), "missing_on_new_master": missing, "failed": failed,
                "first_ok_after_s": round(acknowledged[0][1], 3) if acknowledged else -1.0,
                "promoted_role_master": int(role == "master")}
    finally:
        await aclose(writer)
        sentinel.stop()
        master.cleanup()
        replica.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--how", choices=("shutdown", "sentinel-failover"), default="shutdown")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    runs = [asyncio.run(switch_once(args.how, args.seconds)) for _ in range(args.runs)]
    for run, result in enumerate(runs):
        print(f"run {run} ({args.how}): {result}")
    print("SENTINEL_SWITCH_JSON " + json.dumps({"how": args.how, "seconds": args.seconds, "runs": runs}))


if __name__ == "__main__":
    main()
