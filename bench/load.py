"""Load test through the Discord API emulator: simulated users send mixed /wiki and /compose.

Everything is real except Discord itself: a private ``redis-server``, real
``celery -A workers.app worker`` processes with the checkpoints in ``--model-dir``,
and the real bot (``python -m bot --sync``, in a child process of its own) talking
to the local Discord API emulator (``tests/emulator``) that this process runs and
drives. ``--users`` simulated users send ``--interactions`` interactions at random
times within ``--seconds`` (a ``--compose-share`` of them ``/compose``, the rest
``/wiki``), with the bot's production limits unless overridden.

For each worker layout in ``--workers`` (1: one worker on ``text,music``; 2: one
worker per queue, as in docker-compose) a fresh stack is started, warmed up with
one /wiki and one /compose, and then measured:

- acknowledgement latency p50/p99 (interaction sent -> the bot's first callback;
  Discord drops interactions not acknowledged within 3 s);
- end-to-end latency p50/p95 (interaction sent -> the result edited into the reply);
- jobs/min (results delivered per minute, first interaction to last delivery);
- peak queue depth (``LLEN`` of the Redis queues, sampled every 0.2 s);
- limits enforced: interactions refused, by message;
- RSS of the bot and of the workers (with their pool children) before (after the
  warm-up, models loaded) and after the run;
- when the worker stored each result (Celery's ``date_done``): e2e minus the bot's share;
- the bot's own ``/metrics`` (``BOT_METRICS_PORT``) over the run: mean seconds per phase.

With one worker (``1`` in ``--workers``) and ``--single-runs N``, it first times
N single requests with an empty queue: ``/wiki`` of ``--wiki-length`` characters
and ``/compose`` of ``--compose-seconds`` seconds (OGG + MIDI + PNG).

Prints a Markdown table and one JSON line (``LOAD_JSON {...}``).

Full run (a few minutes per layout; exit status 1 if any interaction was not acknowledged in 3 s)::

    .venv/bin/python bench/load.py --users 50 --interactions 300 --seconds 60 --workers 1 2 --single-runs 5

Scaled down, for development::

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1 \\
    .venv/bin/python bench/load.py --users 5 --interactions 20 --seconds 20 --workers 1 --single-runs 2
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Environment variables that tell the bot child where the emulator is.
_API_ENV, _GATEWAY_ENV = "WIKIMUSE_LOAD_API_BASE", "WIKIMUSE_LOAD_GATEWAY"

WIKI_SEEDS = ["The history of the city", "The album was released", "In mathematics , a group is",
              "The battle began at dawn", "The species is found in", "The film received",
              "Robert Boulter is an English", "The river flows through", "The church was built in"]

ACK_DEADLINE = 3.0  # Discord's limit for the first callback
ERROR_COLOUR = 0xCC3333  # bot/presenters.py ERROR_COLOUR: an ErrorResult's embed


@dataclass
class LoadConfig:
    """What one load run sends, and to what."""

    model_dir: Path = REPO_ROOT / "models" / "checkpoints"
    users: int = 50
    interactions: int = 300
    seconds: float = 60.0
    workers: tuple[int, ...] = (1, 2)
    compose_share: float = 0.5
    wiki_length: int = 1000
    wiki_temperature: float = 0.8
    compose_seconds: int = 30
    compose_model: str = "best"
    genres: tuple[str, ...] = ("chorale",)
    text_pool: str = "threads"  # pool of a worker that consumes the text queue
    text_concurrency: int = 16
    single_runs: int = 5
    rng_seed: int = 0
    result_timeout: float = 900.0  # how long to wait for the last result after the last send
    # Bot limits (None: the bot's own defaults, i.e. production).
    cooldown_seconds: float | None = None
    max_concurrent_per_user: int | None = None
    max_queue_length: int | None = None
    daily_quota_per_guild: int | None = None
    worker_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None


@dataclass
class Sent:
    """One interaction of the schedule and what became of it."""

    at: float  # seconds after the start of the run
    user: int
    command: str  # "wiki" or "compose"
    options: dict[str, Any]
    record: Any = None  # the emulator's InteractionRecord
    outcome: str = ""  # ok | error: <title> | refused | no_ack | no_result
    ack_s: float | None = None
    e2e_s: float | None = None
    refusal: str | None = None
    sent_wall: float = 0.0  # time.time() when sent
    job_id: str | None = None  # from the result's buttons
    ready_s: float | None = None  # sent -> the worker stored the result (Celery's date_done)


# --- processes -----------------------------------------------------------------


def rss_bytes(pid: int, *, with_children: bool = True) -> int:
    """Resident memory of ``pid`` (and, recursively, its children), from /proc (Linux)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
                break
    except OSError:
        return 0
    if with_children:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        total += sum(rss_bytes(int(c)) for c in children)
    return total


def worker_layout(count: int) -> list[tuple[str, ...]]:
    """1: one worker for every queue; 2: one worker per queue (docker-compose's layout)."""
    if count == 1:
        return [("text", "music")]
    if count == 2:
        return [("text",), ("music",)]
    raise ValueError("--workers takes 1 and/or 2")


class BotProcess:
    """``python -m bot --sync`` in a child process, pointed at the emulator."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = None

    def start(self) -> BotProcess:
        from workers.embedded import _die_with_parent

        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--bot-child"],
                                     cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, preexec_fn=_die_with_parent)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # python -m bot closes cleanly on Ctrl-C
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def bot_child_main() -> int:
    """The bot child: point discord.py at the emulator, then run the real ``python -m bot``."""
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = os.environ[_API_ENV]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ[_GATEWAY_ENV] + "/")
    from bot.__main__ import main

    return main(["--sync"])


# --- statistics ------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100)
    return ordered[int(min(rank, len(ordered))) - 1]


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


_RELATIVE_TIME = re.compile(r"<t:\d+(:[tTdDfFR])?>")


def normalise_refusal(text: str) -> str:
    """A refusal message with its timestamp masked, so equal refusals group together."""
    return _RELATIVE_TIME.sub("<t:…>", text).strip()


# --- driving the emulator --------------------------------------------------------


def make_schedule(config: LoadConfig, user_ids: list[int]) -> list[Sent]:
    """``config.interactions`` interactions at uniform random times in [0, seconds), by random users."""
    rng = random.Random(config.rng_seed)
    times = sorted(rng.uniform(0, config.seconds) for _ in range(config.interactions))
    schedule = []
    for i, at in enumerate(times):
        user = user_ids[rng.randrange(len(user_ids))]
        if rng.random() < config.compose_share:
            options: dict[str, Any] = {"genre": config.genres[i % len(config.genres)],
                                       "model": config.compose_model, "length": config.compose_seconds}
            schedule.append(Sent(at, user, "compose", options))
        else:
            options = {"seed": WIKI_SEEDS[i % len(WIKI_SEEDS)], "length": config.wiki_length,
                       "temperature": config.wiki_temperature}
            schedule.append(Sent(at, user, "wiki", options))
    return schedule


def _final_request(emulator: Any, record: Any) -> Any:
    """The request that put the result (an embed) into the interaction's reply, or None."""
    for request in emulator.requests_for(record):
        body = request.json or {}
        if request.method == "PATCH" and body.get("embeds") and 200 <= request.status < 300:
            return request
    return None


def _callback_request(emulator: Any, record: Any) -> Any:
    """The bot's first callback request for ``record`` (accepted or not)."""
    needle = f"/interactions/{record.id}/"
    for request in emulator.requests:
        if request.path.startswith(needle):
            return request
    return None


def _is_done(emulator: Any, item: Sent) -> bool:
    record = item.record
    if record is None:
        return True
    if record.callback_type is None:
        return time.monotonic() - record.created > ACK_DEADLINE + 1  # never acknowledged
    if record.ephemeral or record.callback_type == 4:
        return True  # refused (or answered) at once
    message = emulator.original_message(record)
    return bool(message and message["embeds"])


def classify(emulator: Any, item: Sent) -> None:
    """Fill ``item``'s outcome and latencies from what the emulator recorded."""
    record = item.record
    callback = _callback_request(emulator, record)
    if callback is not None:
        item.ack_s = callback.at - record.created
    if record.callback_type is None:
        item.outcome = "no_ack"
        return
    if record.ephemeral or record.callback_type == 4:
        item.outcome = "refused"
        item.refusal = normalise_refusal(((record.callback_json or {}).get("data") or {}).get("content") or "")
        return
    final = _final_request(emulator, record)
    if final is None:
        item.outcome = "no_result"
        return
    item.e2e_s = final.at - record.created
    embed = final.json["embeds"][0]
    if embed.get("color") == ERROR_COLOUR:
        item.outcome = f"error: {embed.get('title')}: {embed.get('description', '')[:120]}"
    else:
        item.outcome = "ok"
    for row in (emulator.original_message(record) or {}).get("components") or []:
        for component in row.get("components") or []:
            custom_id = str(component.get("custom_id") or "")
            if custom_id.startswith("wm:regen:"):
                item.job_id = custom_id.rsplit(":", 1)[1]


async def fill_ready_times(redis_url: str, items: list[Sent]) -> None:
    """``ready_s``: from sending to the worker storing the result (the task's ``date_done``).

    The gap between this and ``e2e_s`` is the bot's share: polling the result
    backend, the progress-edit throttle, and uploading the reply.
    """
    from datetime import datetime

    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        for item in items:
            if item.job_id is None:
                continue
            raw = await client.get(f"celery-task-meta-{item.job_id}")
            if not raw:
                continue
            done = json.loads(raw).get("date_done")
            if done:
                stamp = datetime.fromisoformat(done)
                if stamp.tzinfo is None:
                    from datetime import UTC

                    stamp = stamp.replace(tzinfo=UTC)
                item.ready_s = stamp.timestamp() - item.sent_wall
    finally:
        await client.aclose()


async def _sample_queues(redis_url: str, stop: asyncio.Event, peaks: dict[str, int]) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        while not stop.is_set():
            try:
                depths = {q: int(await client.llen(q)) for q in ("text", "music")}
            except (aioredis.RedisError, OSError):  # Redis restarting (bench/chaos.py): next sample
                depths = {}
            for queue, depth in depths.items():
                peaks[queue] = max(peaks.get(queue, 0), depth)
            peaks["total"] = max(peaks.get("total", 0), sum(depths.values()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        await client.aclose()


async def run_schedule(emulator: Any, schedule: list[Sent], redis_url: str,
                       result_timeout: float, done: Any = _is_done) -> dict[str, Any]:
    """Send the schedule in real time, wait for every answer (``done(emulator, item)``), and
    classify each interaction."""
    peaks: dict[str, int] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_queues(redis_url, stop, peaks))
    started = time.monotonic()
    try:
        for item in schedule:
            delay = started + item.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            item.sent_wall = time.time()
            item.record = await emulator.invoke(item.command, item.options, user=item.user)
        sent_s = time.monotonic() - started
        deadline = time.monotonic() + result_timeout
        while not all(done(emulator, item) for item in schedule):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await sampler
    for item in schedule:
        classify(emulator, item)
    await fill_ready_times(redis_url, schedule)
    finals = [item.record.created + item.e2e_s for item in schedule if item.e2e_s is not None]
    span = (max(finals) - started) if finals else None
    return {"sent_seconds": sent_s, "span_seconds": span, "peak_queue": peaks}


def summarise(schedule: list[Sent], extra: dict[str, Any]) -> dict[str, Any]:
    acks = [i.ack_s for i in schedule if i.ack_s is not None]
    ok = [i for i in schedule if i.outcome == "ok"]
    e2e = [i.e2e_s for i in ok if i.e2e_s is not None]
    ready = [i.ready_s for i in ok if i.ready_s is not None]
    outcomes = Counter(i.outcome if not i.outcome.startswith("error") else "error" for i in schedule)
    refusals = Counter(i.refusal for i in schedule if i.outcome == "refused")
    errors = Counter(i.outcome for i in schedule if i.outcome.startswith("error"))
    span = extra.get("span_seconds")
    by_kind = {}
    for kind in ("wiki", "compose"):
        values = [i.e2e_s for i in ok if i.command == kind and i.e2e_s is not None]
        by_kind[kind] = {"sent": sum(1 for i in schedule if i.command == kind), "ok": len(values),
                         "e2e_p50_s": _r(percentile(values, 50)), "e2e_p95_s": _r(percentile(values, 95))}
    return {
        "sent": len(schedule),
        "acknowledged": len([i for i in schedule if i.outcome != "no_ack"]),
        "ack_p50_s": _r(percentile(acks, 50)), "ack_p99_s": _r(percentile(acks, 99)),
        "ack_max_s": _r(max(acks) if acks else None),
        "ack_under_3s": sum(1 for i in schedule if i.outcome != "no_ack" and i.ack_s is not None
                            and i.ack_s < ACK_DEADLINE),
        "e2e_p50_s": _r(percentile(e2e, 50)), "e2e_p95_s": _r(percentile(e2e, 95)),
        "ready_p50_s": _r(percentile(ready, 50)), "ready_p95_s": _r(percentile(ready, 95)),
        "ok": len(ok),
        "jobs_per_min": _r(60.0 * len(ok) / span, 1) if span else None,
        "outcomes": dict(outcomes),
        "refusals": dict(refusals),
        "errors": dict(errors),
        "by_kind": by_kind,
        "sent_seconds": _r(extra.get("sent_seconds"), 1),
        "span_seconds": _r(span, 1),
        "peak_queue": extra.get("peak_queue", {}),
    }


async def single_requests(emulator: Any, redis_url: str, new_user: Any, command: str,
                          options: dict[str, Any], runs: int, timeout: float) -> dict[str, Any]:
    """``runs`` requests one after another (empty queue), each by a new user: end-to-end latencies."""
    items = []
    for _ in range(runs):
        user = new_user()
        item = Sent(0.0, user, command, dict(options), sent_wall=time.time())
        item.record = await emulator.invoke(command, options, user=user)
        deadline = time.monotonic() + timeout
        while not _is_done(emulator, item) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        classify(emulator, item)
        items.append(item)
    await fill_ready_times(redis_url, items)
    values = [i.e2e_s for i in items if i.outcome == "ok" and i.e2e_s is not None]
    ready = [i.ready_s for i in items if i.outcome == "ok" and i.ready_s is not None]
    return {"runs": runs, "ok": len(values), "e2e_p50_s": _r(percentile(values, 50)),
            "e2e_min_s": _r(min(values) if values else None),
            "e2e_max_s": _r(max(values) if values else None),
            "ready_p50_s": _r(percentile(ready, 50)),
            "ack_max_s": _r(max((i.ack_s for i in items if i.ack_s is not None), default=None)),
            "outcomes": dict(Counter(i.outcome for i in items))}


# --- one stack -------------------------------------------------------------------


def scrape_bot_metrics(port: int) -> dict[str, dict]:
    """The bot's own /metrics: {"sum"|"count": {kind/phase: value}, "counters": {name{labels}: value}}."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, dict] = {"sum": {}, "count": {}, "counters": {}}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name in ("wikimuse_bot_job_seconds_sum", "wikimuse_bot_job_seconds_count"):
                out[sample.name.rsplit("_", 1)[1]][f"{labels['kind']}/{labels['phase']}"] = sample.value
            elif sample.name.endswith("_total") and sample.name.startswith("wikimuse_bot_"):
                key = sample.name.removeprefix("wikimuse_bot_") + "{" + ",".join(
                    f"{k}={v}" for k, v in sorted(labels.items())) + "}"
                out["counters"][key] = sample.value
    return out


def bot_metrics_delta(before: dict[str, dict], after: dict[str, dict]) -> dict[str, Any]:
    """What the bot recorded between two scrapes: mean seconds per kind/phase, counter increments."""
    means = {}
    for key, count in sorted(after["count"].items()):
        n = count - before["count"].get(key, 0.0)
        if n > 0:
            total = after["sum"].get(key, 0.0) - before["sum"].get(key, 0.0)
            means[key] = {"count": int(n), "mean_s": round(total / n, 3)}
    counters = {k: v - before["counters"].get(k, 0.0) for k, v in sorted(after["counters"].items())}
    return {"phase_means": means, "counters": {k: int(v) for k, v in counters.items() if v}}


def _bot_env(config: LoadConfig, emulator: Any, redis_url: str, data_dir: Path,
             extra: dict[str, str] | None = None) -> dict[str, str]:
    from workers.settings import child_environ

    env = child_environ(DISCORD_TOKEN=emulator.token, REDIS_URL=redis_url, LOG_FORMAT="json",
                        LOG_LEVEL="INFO", BOT_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
                        **{_API_ENV: emulator.api_base, _GATEWAY_ENV: emulator.gateway_url})
    env.pop("DATABASE_URL", None)
    limits = {"COOLDOWN_SECONDS": config.cooldown_seconds,
              "MAX_CONCURRENT_PER_USER": config.max_concurrent_per_user,
              "MAX_QUEUE_LENGTH": config.max_queue_length,
              "DAILY_QUOTA_PER_GUILD": config.daily_quota_per_guild}
    for name, value in limits.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    env.update(extra or {})
    return env


async def _wait_for_bot(emulator: Any, bot: BotProcess, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not (emulator.commands and emulator.active_session and emulator.active_session.connected):
        if not bot.alive():
            raise RuntimeError(f"the bot exited:\n{bot.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bot did not connect and sync within {timeout:.0f}s:\n{bot.log_tail()}")
        await asyncio.sleep(0.1)


def warmup_options(config: LoadConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options of the warm-up (and single-request) /wiki and /compose."""
    return ({"seed": WIKI_SEEDS[0], "length": config.wiki_length, "temperature": config.wiki_temperature},
            {"genre": config.genres[0], "model": config.compose_model, "length": config.compose_seconds})


@dataclass
class Stack:
    """One running layout: Redis, its workers, the emulator and the bot, warmed up.

    ``run_stack`` measures it; ``bench/chaos.py`` breaks it (and replaces ``bot`` when it
    restarts the bot). ``out`` collects what was measured while starting it.
    """

    config: LoadConfig
    log_dir: Path
    redis: Any = None  # workers.embedded.RedisServer
    workers: list[Any] = field(default_factory=list)  # workers.embedded.WorkerProcess
    emulator: Any = None
    bot: BotProcess | None = None
    users: list[int] = field(default_factory=list)
    metrics_port: int = 0
    out: dict[str, Any] = field(default_factory=dict)
    _solo: int = 0

    def fresh_user(self) -> int:
        """A new user, with no cooldown or job in flight."""
        self._solo += 1
        return self.emulator.add_user(f"solo{self._solo - 1}")

    def rss_mb(self) -> dict[str, float]:
        assert self.bot is not None
        return {"bot": rss_bytes(self.bot.pid) / 2**20,
                "workers": sum(rss_bytes(w.pid) for w in self.workers) / 2**20}


@contextlib.asynccontextmanager
async def running_stack(config: LoadConfig, workers: int, log_dir: Path, *,
                        bot_env_extra: dict[str, str] | None = None, emulator: Any = None,
                        appendonly: bool = False) -> AsyncIterator[Stack]:
    """Start Redis (with an AOF, ``appendfsync everysec``, when ``appendonly``), ``workers``
    workers, the emulator (``emulator``: one not started yet, else a plain one) and the bot;
    warm up; yield the :class:`Stack`; stop everything."""
    from tests.emulator.server import DiscordEmulator
    from tests.workers.embedded_harness import wait_warm
    from workers.embedded import RedisServer, WorkerProcess, free_port

    stack = Stack(config, log_dir)
    out = stack.out
    out.update(workers=workers, layout=[",".join(q) for q in worker_layout(workers)])
    worker_env = {"MODEL_DIR": str(config.model_dir), "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
                  "TASK_SOFT_TIME_LIMIT": "600", "TASK_TIME_LIMIT": "660", **config.worker_env}
    stack.redis = RedisServer(appendonly=appendonly).start()
    try:
        stack.emulator = await (emulator or DiscordEmulator()).start()
        for n, queues in enumerate(worker_layout(workers)):
            threads = "text" in queues and config.text_pool == "threads"
            # As in docker-compose: each worker loads and compiles what its queues need at start.
            warmup = ",".join(w for q, w in (("text", "wiki"), ("music", "music")) if q in queues)
            stack.workers.append(WorkerProcess(
                stack.redis.url, queues=queues, pool="threads" if threads else "prefork",
                concurrency=config.text_concurrency if threads else 1, env={"WARMUP": warmup, **worker_env},
                log_path=log_dir / f"worker-{workers}-{n}-{'-'.join(queues)}.log"))
        await asyncio.gather(*(asyncio.to_thread(w.start, 180.0) for w in stack.workers))
        started = time.monotonic()
        # each worker loads and compiles what its queues need
        await asyncio.gather(*(asyncio.to_thread(wait_warm, w) for w in stack.workers))
        out["worker_warmup_seconds"] = round(time.monotonic() - started, 1)
        out["pools"] = [f"{w.pool} -c {w.concurrency}" for w in stack.workers]
        stack.users = [stack.emulator.add_user(f"user{i}") for i in range(config.users)]

        stack.metrics_port = free_port()
        bot_extra = {"BOT_METRICS_PORT": str(stack.metrics_port), "BOT_METRICS_ADDR": "127.0.0.1",
                     **(bot_env_extra or {})}
        stack.bot = BotProcess(_bot_env(config, stack.emulator, stack.redis.url,
                                        log_dir / f"bot-data-{workers}", bot_extra),
                               log_dir / f"bot-{workers}.log").start()
        out["bot_log"] = str(stack.bot.log_path)
        out["worker_logs"] = [str(w.log_path) for w in stack.workers]
        await _wait_for_bot(stack.emulator, stack.bot)
        out["rss_mb_start"] = stack.rss_mb()

        # Warm-up: TensorFlow import, model loads, tracing (not part of any figure).
        started = time.monotonic()
        wiki_options, compose_options = warmup_options(config)
        for genre in config.genres:  # every genre's model, so no load lands in the measured run
            warm = await single_requests(stack.emulator, stack.redis.url, stack.fresh_user, "compose",
                                         {**compose_options, "genre": genre}, 1, config.result_timeout)
            if warm["ok"] != 1:
                raise RuntimeError(f"warm-up /compose {genre} failed: {warm}\n{stack.bot.log_tail()}")
        warm = await single_requests(stack.emulator, stack.redis.url, stack.fresh_user, "wiki", wiki_options,
                                     1, config.result_timeout)
        if warm["ok"] != 1:
            raise RuntimeError(f"warm-up /wiki failed: {warm}\n{stack.bot.log_tail()}")
        out["warmup_seconds"] = round(time.monotonic() - started, 1)
        yield stack
    finally:
        if stack.bot is not None:
            await asyncio.to_thread(stack.bot.stop)
        if stack.emulator is not None:
            await stack.emulator.stop()
        await asyncio.gather(*(asyncio.to_thread(w.stop, 30.0) for w in stack.workers))
        stack.redis.cleanup()


async def run_stack(config: LoadConfig, workers: int, log_dir: Path, *,
                    bot_env_extra: dict[str, str] | None = None) -> dict[str, Any]:
    """Start Redis, ``workers`` workers, the emulator and the bot; warm up; measure; stop."""
    async with running_stack(config, workers, log_dir, bot_env_extra=bot_env_extra) as stack:
        out, emulator, bot, redis_url = stack.out, stack.emulator, stack.bot, stack.redis.url
        assert bot is not None
        if workers == 1 and config.single_runs > 0:
            wiki_options, compose_options = warmup_options(config)
            out["single"] = {
                command: await single_requests(emulator, redis_url, stack.fresh_user, command, options,
                                               config.single_runs, config.result_timeout)
                for command, options in (("wiki", wiki_options), ("compose", compose_options))}

        out["rss_mb_before"] = stack.rss_mb()
        metrics_before = await asyncio.to_thread(scrape_bot_metrics, stack.metrics_port)
        schedule = make_schedule(config, stack.users)
        extra = await run_schedule(emulator, schedule, redis_url, config.result_timeout)
        out.update(summarise(schedule, extra))
        out["rss_mb_after"] = stack.rss_mb()
        for key in ("rss_mb_start", "rss_mb_before", "rss_mb_after"):
            out[key] = {k: round(v, 1) for k, v in out[key].items()}
        try:
            out["bot_metrics"] = bot_metrics_delta(
                metrics_before, await asyncio.to_thread(scrape_bot_metrics, stack.metrics_port))
        except OSError as exc:  # the figures above stand without it
            out["bot_metrics"] = {"error": str(exc)}
        out["bot_alive"] = bot.alive()
        out["workers_alive"] = [w.alive() for w in stack.workers]
        # What Discord's rules refused (the emulator enforces them all), by rule and code.
        out["refused_by_discord"] = dict(collections.Counter(
            f"{r.rule} {r.status} {r.code}" for r in emulator.rejected()))
        return out


async def run_load(config: LoadConfig) -> dict[str, Any]:
    """Run every layout in ``config.workers``; returns {"config": ..., "runs": [...]}."""
    log_dir = config.log_dir or Path(tempfile.mkdtemp(prefix="wikimuse-load-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for workers in config.workers:
        runs.append(await run_stack(config, workers, log_dir))
    conf = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
    return {"config": conf, "host": host_info(), "runs": runs, "log_dir": str(log_dir)}


def host_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        info["loadavg_end"] = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    info["tf_intra_threads"] = os.environ.get("TF_NUM_INTRAOP_THREADS", "")
    return info


# --- output ----------------------------------------------------------------------


def _fmt(value: Any, unit: str = "") -> str:
    return "–" if value is None else f"{value}{unit}"


def markdown(report: dict[str, Any]) -> str:
    lines = ["| workers | sent | ok | refused | errors / lost | ack p50 | ack p99 | ack < 3 s | "
             "e2e p50 | e2e p95 | jobs/min | peak queue (text/music) | bot RSS before→after | "
             "worker RSS before→after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in report["runs"]:
        outcomes = run["outcomes"]
        lost = sum(v for k, v in outcomes.items() if k not in ("ok", "refused"))
        peak = run["peak_queue"]
        lines.append(
            f"| {run['workers']} ({' / '.join(run['layout'])}) | {run['sent']} | {run['ok']} | "
            f"{outcomes.get('refused', 0)} | {lost} | {_fmt(run['ack_p50_s'], ' s')} | "
            f"{_fmt(run['ack_p99_s'], ' s')} | {run['ack_under_3s']}/{run['sent']} | "
            f"{_fmt(run['e2e_p50_s'], ' s')} | {_fmt(run['e2e_p95_s'], ' s')} | {_fmt(run['jobs_per_min'])} | "
            f"{peak.get('text', 0)}/{peak.get('music', 0)} | "
            f"{run['rss_mb_before']['bot']}→{run['rss_mb_after']['bot']} MB | "
            f"{run['rss_mb_before']['workers']}→{run['rss_mb_after']['workers']} MB |")
    for run in report["runs"]:
        kinds = ", ".join(f"{k}: {v['ok']}/{v['sent']} ok, e2e p50 {_fmt(v['e2e_p50_s'], ' s')} "
                          f"p95 {_fmt(v['e2e_p95_s'], ' s')}" for k, v in run["by_kind"].items())
        lines.append("")
        lines.append(f"{run['workers']} worker(s): {kinds}; result stored by the worker p50 "
                     f"{_fmt(run['ready_p50_s'], ' s')} p95 {_fmt(run['ready_p95_s'], ' s')} after sending")
        means = (run.get("bot_metrics") or {}).get("phase_means") or {}
        if means:
            lines.append("bot's /metrics during the run (mean s): " + ", ".join(
                f"{key} {value['mean_s']} (n={value['count']})" for key, value in means.items()))
        for message, count in sorted(run["refusals"].items(), key=lambda kv: -kv[1]):
            lines.append(f"- refused {count}x: “{message}”")
        for message, count in sorted(run["errors"].items(), key=lambda kv: -kv[1]):
            lines.append(f"- {count}x {message}")
        single = run.get("single")
        if single:
            lines.append("")
            lines.append("| single request, empty queue, 1 worker | runs | ok | e2e p50 | min | max | "
                         "result stored p50 |")
            lines.append("|---|---|---|---|---|---|---|")
            for command, s in single.items():
                what = ("/wiki " + str(report["config"]["wiki_length"]) + " chars" if command == "wiki"
                        else "/compose " + str(report["config"]["compose_seconds"]) + " s (OGG+MIDI+PNG)")
                lines.append(f"| {what} | {s['runs']} | {s['ok']} | {_fmt(s['e2e_p50_s'], ' s')} | "
                             f"{_fmt(s['e2e_min_s'], ' s')} | {_fmt(s['e2e_max_s'], ' s')} | "
                             f"{_fmt(s['ready_p50_s'], ' s')} |")
    return "\n".join(lines)


def add_load_arguments(parser: argparse.ArgumentParser, *, users: int, interactions: int,
                       seconds: float) -> None:
    """The options of what is sent (shared with bench/chaos.py), with these defaults."""
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="checkpoints (default: MODEL_DIR, else models/checkpoints)")
    parser.add_argument("--users", type=int, default=users)
    parser.add_argument("--interactions", type=int, default=interactions)
    parser.add_argument("--seconds", type=float, default=seconds, help="send the interactions within this time")
    parser.add_argument("--compose-share", type=float, default=0.5)
    parser.add_argument("--wiki-length", type=int, default=1000)
    parser.add_argument("--compose-seconds", type=int, default=30)
    parser.add_argument("--compose-model", default="best")
    parser.add_argument("--genres", nargs="+", default=["chorale"])


def parse_args(argv: list[str] | None = None) -> LoadConfig:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_load_arguments(parser, users=50, interactions=300, seconds=60.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--text-pool", choices=["threads", "prefork"], default="threads",
                        help="pool of the worker consuming 'text' (threads -c 16: dynamic batching)")
    parser.add_argument("--single-runs", type=int, default=5,
                        help="single requests per command with an empty queue (1 worker); 0: skip")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the schedule")
    parser.add_argument("--result-timeout", type=float, default=900.0)
    parser.add_argument("--cooldown", type=float, default=None, help="override COOLDOWN_SECONDS")
    parser.add_argument("--max-concurrent", type=int, default=None, help="override MAX_CONCURRENT_PER_USER")
    parser.add_argument("--max-queue", type=int, default=None, help="override MAX_QUEUE_LENGTH")
    parser.add_argument("--log-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    from workers.settings import get_settings

    return LoadConfig(
        model_dir=(args.model_dir or get_settings().model_dir).resolve(), users=args.users,
        interactions=args.interactions, seconds=args.seconds, workers=tuple(dict.fromkeys(args.workers)),
        compose_share=args.compose_share, wiki_length=args.wiki_length, compose_seconds=args.compose_seconds,
        compose_model=args.compose_model, genres=tuple(args.genres), text_pool=args.text_pool,
        single_runs=args.single_runs, rng_seed=args.seed, result_timeout=args.result_timeout,
        cooldown_seconds=args.cooldown, max_concurrent_per_user=args.max_concurrent,
        max_queue_length=args.max_queue, log_dir=args.log_dir)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--bot-child"]:
        return bot_child_main()
    config = parse_args(argv)
    report = run_and_print(config.model_dir, lambda: run_load(config), markdown, "LOAD_JSON")
    if report is None:
        return 2
    failed = [r for r in report["runs"] if r["ack_under_3s"] < r["sent"]]
    return 1 if failed else 0


def run_and_print(model_dir: Path, run: Any, render: Any, tag: str) -> dict[str, Any] | None:
    """``asyncio.run(run())``, with the load average at the start in ``host``; prints
    ``render(report)`` and ``<tag> {json}``. None (and a message) without a text model."""
    if not (model_dir / "wiki_writer.keras").is_file():
        print(f"no wiki_writer.keras in {model_dir}", file=sys.stderr)
        return None
    load_before = os.getloadavg()
    report = asyncio.run(run())
    report["host"]["loadavg_start"] = [round(x, 2) for x in load_before]
    print(render(report))
    print()
    print(f"{tag} " + json.dumps(report, separators=(",", ":")), flush=True)
    return report


if __name__ == "__main__":
    sys.exit(main())
