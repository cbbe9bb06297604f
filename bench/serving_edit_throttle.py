"""How much of a single request's end-to-end time is the bot's progress-edit throttle?

The bot edits a deferred reply at most once per ``progress_interval`` (2 s) and
holds the final result until that interval has passed since the last progress
edit. This times single ``/wiki`` and ``/compose`` requests (empty queue, one
worker: ``-Q text,music -P threads -c 16``, a private redis-server) through the
emulator with the real bot run in this process (``tests/emulator/harness.py``)
at each ``--intervals`` value; everything else is production settings.

Run: ``.venv/bin/python bench/serving_edit_throttle.py --runs 5 --intervals 2 0``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import single_requests  # noqa: E402
from tests.emulator.harness import running_bot  # noqa: E402
from tests.emulator.server import DiscordEmulator  # noqa: E402
from workers.embedded import RedisServer, WorkerProcess  # noqa: E402
from workers.settings import get_settings  # noqa: E402


async def measure(args: argparse.Namespace) -> list[dict]:
    rows = []
    wiki = {"seed": "The history of", "length": args.wiki_length, "temperature": 0.8}
    compose = {"genre": args.genre, "model": "best", "length": args.compose_seconds}
    log = Path(tempfile.mkdtemp(prefix="bench-throttle-")) / "worker.log"
    with RedisServer() as server:
        worker = WorkerProcess(server.url, queues=("text", "music"), pool="threads", concurrency=16,
                               env={"MODEL_DIR": str(args.model_dir), "LOG_LEVEL": "WARNING"},
                               log_path=log).start(180)
        try:
            for interval in args.intervals:
                emulator = await DiscordEmulator().start()

                def new_user(emulator: DiscordEmulator = emulator) -> int:  # no cooldown yet
                    return emulator.add_user(f"user{len(emulator.users)}")

                try:
                    with emulator.patch_discord():
                        async with running_bot(emulator, redis_url=server.url, progress_interval=interval,
                                               poll_interval=0.5, cooldown_seconds=10.0):
                            for command, options in (("wiki", wiki), ("compose", compose)):  # warm-up
                                await single_requests(emulator, server.url, new_user, command, options, 1, 300)
                            for command, options in (("wiki", wiki), ("compose", compose)):
                                r = await single_requests(emulator, server.url, new_user, command, options,
                                                          args.runs, 300)
                                rows.append({"interval": interval, "command": command, **r})
                                print(f"  interval {interval:g} s, /{command}: e2e p50 {r['e2e_p50_s']} s "
                                      f"(min {r['e2e_min_s']}, max {r['e2e_max_s']}), result stored p50 "
                                      f"{r['ready_p50_s']} s", flush=True)
                finally:
                    await emulator.stop()
        finally:
            worker.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=get_settings().model_dir)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--intervals", type=float, nargs="+", default=[2.0, 0.0])
    parser.add_argument("--wiki-length", type=int, default=1000)
    parser.add_argument("--compose-seconds", type=int, default=30)
    parser.add_argument("--genre", default="chorale")
    args = parser.parse_args()
    rows = asyncio.run(measure(args))
    print()
    print("| progress_interval | request | runs | e2e p50 | min | max | result stored p50 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        what = f"/wiki {args.wiki_length} chars" if r["command"] == "wiki" else f"/compose {args.compose_seconds} s"
        print(f"| {r['interval']:g} s | {what} | {r['runs']} | {r['e2e_p50_s']} s | {r['e2e_min_s']} s | "
              f"{r['e2e_max_s']} s | {r['ready_p50_s']} s |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
