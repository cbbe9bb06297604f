"""Chaos run: bench/load.py's load through the production path while its processes die.

The stack is ``bench/load.py``'s two-worker layout (docker-compose's): a private
``redis-server`` with an AOF (``appendfsync everysec``), a text worker (``-P threads
-c 16``) and a music worker (``-P prefork -c 1``), both with ``WARMUP``, the real bot
as its own process (``python -m bot --sync``) and the Discord API emulator. After the
warm-up, ``--users`` users send ``--interactions`` interactions at random times within
``--seconds`` (load.py's schedule), with the bot's limits lifted, and these faults
strike, at seconds counted from the first send:

- ``--kill-child-every N``: every N s, the music worker's pool child is SIGKILLed
  (``--child-of``: whose); its prefork parent starts another. ``--max-child-kills K``:
  only the first K times (0: no limit).
- ``--kill-worker-at T``: the music worker's main process (``--kill-worker``: whose)
  is SIGKILLed with its pool children, as when a container dies, and started again at
  once, as compose's ``restart: unless-stopped`` does.
- ``--kill-redis-at T``: Redis is SIGKILLed and started again from its AOF, on the
  same port, ``--redis-down`` seconds later.
- ``--kill-bot-at T``: the bot is SIGKILLed and started again at once.
- ``--http-fault-share S``: from the first send on, a share S of the bot's REST
  requests is answered with a 429 (half of them: Discord's body and headers,
  ``retry_after`` 0.1-1 s) or a 500/502/504 (the other half), before anything else
  happens to them; the first two requests get one of each, so that a short run meets
  both. A fault is transient: the retry of a faulted request (same method and path)
  goes through.

A process of the stack that exits on its own is also started again (as compose
would), and counted (``unplanned_exits``). Any value below 0 (``--kill-child-every``:
0) turns a fault off.

Every interaction is then judged from the emulator's records (what the bot sent and
what Discord answered), after the last one settled and ``--settle`` seconds more
(longer than the bot's 5 s pending scan, so a late duplicate would show):

- *ack < 3 s*: the bot's accepted first callback came within Discord's 3 s;
- *delivered once*: deferred, then exactly one result edited into the reply (or
  posted in the channel), and not an error;
- *duplicates*: more than one result for one interaction;
- *errors shown*, by kind: an error embed or an error text in the reply, or a
  refusal at the ack. "The generator is unavailable" refusals given while Redis was
  down, or after it went down while the bot handled the interaction (between its
  arrival and the refusal, at the ack or in the deferred reply), are counted apart
  (``refused_redis_down``): they are correct; every other one is an error of ours
  (``errors_ours``);
- *never delivered*: deferred (accepted), and nothing came;
- *bot down*: never acknowledged, and the bot was down during the interaction's 3 s
  (sent while it was down, or received by the process just killed); counted apart.
  One not acknowledged otherwise is ``no_ack``.

Targets (exit status 1 when one is missed): 0 duplicates, 0 accepted jobs never
delivered, 0 errors of ours, and every ack < 3 s apart from the bot-down ones.

After each fault it reports the recovery time: from the fault to the next successful
delivery of a job sent after it (for a worker's fault, a job of that worker's queue).
It prints two Markdown tables and one line ``CHAOS_JSON {...}``.

Default scenario (about 5 minutes with the shipped models on 2 vCPUs)::

    .venv/bin/python bench/chaos.py --interactions 240 --seconds 240

Scaled down, for development (``tests/e2e/test_chaos_bench.py`` runs this code with the
tiny models in CI)::

    .venv/bin/python bench/chaos.py --interactions 24 --seconds 24 --users 4 \\
        --kill-child-every 8 --kill-bot-at 4 --kill-redis-at 10 --kill-worker-at 16
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.load import (  # noqa: E402
    ACK_DEADLINE,
    ERROR_COLOUR,
    BotProcess,
    LoadConfig,
    Sent,
    Stack,
    _is_done,
    _r,
    add_load_arguments,
    host_info,
    make_schedule,
    percentile,
    run_and_print,
    run_schedule,
    running_stack,
)
from tests.emulator.ratelimits import RateLimiter, Verdict  # noqa: E402
from tests.emulator.server import DiscordEmulator  # noqa: E402
from tests.workers.embedded_harness import child_pids  # noqa: E402

# bot/errors.py BackendUnavailable's message: Redis (or the queue) could not be reached.
UNAVAILABLE = "The generator is unavailable"
# bot/presenters.py progress_text: "Queued, position 2, about 30 s…", "Writing… 40%".
_PROGRESS = re.compile(r"^(Queued\b.*…|\w+…( \d+%)?)$")
SERVER_ERRORS = (500, 502, 504)  # what Discord (and its proxy) answer when it has trouble
QUEUE_COMMANDS = {"text": ("wiki",), "music": ("compose", "continue")}
LIFTED_LIMITS = {"cooldown_seconds": 0.0, "max_concurrent_per_user": 1000, "max_queue_length": 100_000,
                 "daily_quota_per_guild": 1_000_000}


# --- Discord misbehaving -----------------------------------------------------------


class HttpFaults:
    """Which of the bot's REST requests get a 429 or a 5xx: a share, drawn at random, and
    the first two requests of the run (one of each kind), so that a short run, or one whose
    bot was down for most of it, still meets both.

    A faulted request's retry (the next request with its method and path) goes through,
    so a fault costs the bot one retry, as Discord's transient errors do.
    """

    def __init__(self, share: float, seed: int) -> None:
        self.share = share
        self.rng = random.Random(seed)
        self.active = False
        self.counts: Counter[str] = Counter()
        self._faulted: set[tuple[str, str]] = set()

    def decide(self, method: str, path: str) -> str | None:
        """``"429"``, ``"5xx"`` (half the share each) or None for this request."""
        key = (method, path)
        if key in self._faulted:  # its retry: through, and free to be faulted again later
            self._faulted.discard(key)
            return None
        if not self.active or self.share <= 0:
            return None
        draw = self.rng.random()
        kind = next((k for k in ("429", "5xx") if not self.counts[k]), None)
        if kind is None:
            if draw >= self.share:
                return None
            kind = "429" if draw < self.share / 2 else "5xx"
        self._faulted.add(key)
        self.counts[kind] += 1
        return kind


class FaultyRateLimiter(RateLimiter):
    """The emulator's rate limits; a request :class:`FaultyDiscord` picked gets a 429 with
    Discord's body and headers instead."""

    def __init__(self, faults: HttpFaults) -> None:
        super().__init__()
        self.faults = faults
        self.refuse_next = False

    def check(self, method: str, path: str, *, global_exempt: bool) -> Verdict:
        if self.refuse_next:
            self.refuse_next = False
            retry = round(self.faults.rng.uniform(0.1, 1.0), 3)
            return Verdict(headers={"Retry-After": str(math.ceil(retry)), "X-RateLimit-Scope": "shared",
                                    "Via": "1.1 google"},
                           refused={"message": "You are being rate limited.", "retry_after": retry,
                                    "global": False, "code": 0})
        return super().check(method, path, global_exempt=global_exempt)


class FaultyDiscord(DiscordEmulator):
    """The emulator, answering a share of the bot's requests with a 5xx or a 429.

    The emulator checks each request for an injected server error first, then its rate
    limits (``tests/emulator/rest.py``), in one go: the pick is made at the first and,
    for a 429, carried out at the second.
    """

    def __init__(self, faults: HttpFaults, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.faults = faults
        self.ratelimiter = self.limiter = FaultyRateLimiter(faults)

    def injected_failure(self, r: Any) -> int | None:
        status = super().injected_failure(r)
        if status is not None:
            return status
        kind = self.faults.decide(r.method, r.path)
        if kind == "5xx":
            return self.faults.rng.choice(SERVER_ERRORS)
        self.limiter.refuse_next = kind == "429" and self.rules.rate_limits
        return None


# --- the faults ------------------------------------------------------------------


@dataclass
class ChaosConfig:
    """The load (``load``: bench/load.py's settings) and the faults; times in seconds from
    the first send, None (or below 0) for a fault that does not strike."""

    load: LoadConfig
    kill_child_every: float = 20.0  # 0: never
    max_child_kills: int = 0  # 0: no limit
    child_of: str = "music"  # the queue of the worker whose pool child is killed
    kill_worker_at: float | None = 180.0
    kill_worker: str = "music"
    kill_redis_at: float | None = 120.0
    redis_down: float = 3.0
    kill_bot_at: float | None = 60.0
    http_fault_share: float = 0.02
    settle_seconds: float = 10.0

    def plan(self) -> list[tuple[float, str]]:
        """(time, kind) of every fault, in order."""
        plan: list[tuple[float, str]] = []
        if self.kill_child_every > 0:
            at = self.kill_child_every
            while at < self.load.seconds:
                plan.append((round(at, 3), "child"))
                at += self.kill_child_every
                if len(plan) == self.max_child_kills:
                    break
        for at, kind in ((self.kill_bot_at, "bot"), (self.kill_redis_at, "redis"),
                         (self.kill_worker_at, "worker")):
            if at is not None and at >= 0:
                plan.append((at, kind))
        return sorted(plan)


@dataclass
class Fault:
    """One fault that struck, and how the stack came back from it."""

    kind: str  # child | worker | redis | bot
    at_s: float  # when it struck, seconds after the first send
    target: str = ""
    detail: str = ""
    back_s: float | None = None  # the process answered again this long after
    recovery_s: float | None = None  # the next delivery of a job sent after it, this long after


def _worker_name(worker: Any) -> str:
    return "worker " + ",".join(worker.queues)


class Chaos:
    """Strikes the planned faults on a running :class:`bench.load.Stack`, and restarts what
    exits on its own, as compose would."""

    def __init__(self, stack: Stack, config: ChaosConfig, http: HttpFaults) -> None:
        self.stack = stack
        self.config = config
        self.http = http
        self.faults: list[Fault] = []
        self.skipped: list[dict[str, Any]] = []
        self.bot_down: list[list[float | None]] = []  # [from, to] seconds after the first send
        self.redis_down: list[list[float | None]] = []
        self.unplanned: list[dict[str, Any]] = []  # processes that exited on their own
        self.errors: list[str] = []  # strikes or restarts that failed
        self._busy: set[str] = set()  # processes being killed or restarted
        self._tasks: list[asyncio.Task[None]] = []
        self.t0 = 0.0

    def now(self) -> float:
        return time.monotonic() - self.t0

    def worker_for(self, queue: str) -> Any:
        return next(w for w in self.stack.workers if queue in w.queues)

    def start(self, t0: float) -> None:
        self.t0 = t0
        self.http.active = True
        for at, kind in self.config.plan():
            self._tasks.append(asyncio.create_task(self._strike(at, kind)))
        self._tasks.append(asyncio.create_task(self._supervise()))

    async def stop(self) -> None:
        """Wait for the faults still striking (restarts included); stop supervising."""
        self.http.active = False
        *strikes, supervisor = self._tasks
        try:
            for outcome in await asyncio.gather(*strikes, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    self.errors.append(repr(outcome))
                    self.log(f"a fault's strike or restart failed: {outcome!r}")
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor

    def log(self, message: str) -> None:
        print(f"chaos {self.now():7.2f} s: {message}", file=sys.stderr, flush=True)

    async def _strike(self, at: float, kind: str) -> None:
        await asyncio.sleep(max(0.0, self.t0 + at - time.monotonic()))
        await {"child": self.kill_child, "worker": self.kill_worker_main, "redis": self.kill_redis,
               "bot": self.kill_bot}[kind]()

    # --- the faults --------------------------------------------------------------

    async def kill_child(self) -> None:
        worker = self.worker_for(self.config.child_of)
        pids = child_pids(worker) if _worker_name(worker) not in self._busy else []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not pids:
            self.skipped.append({"kind": "child", "at_s": _r(self.now()), "why": "no pool child running"})
            return
        self.faults.append(Fault("child", self.now(), self.config.child_of,
                                 f"{len(pids)} pool child(ren) SIGKILLed"))
        self.log(f"{self.faults[-1].detail} ({_worker_name(worker)})")

    async def kill_worker_main(self) -> None:
        worker = self.worker_for(self.config.kill_worker)
        name = _worker_name(worker)
        if name in self._busy or not worker.alive():
            self.skipped.append({"kind": "worker", "at_s": _r(self.now()), "why": "already restarting"})
            return
        self._busy.add(name)
        try:
            pids = child_pids(worker)
            worker.proc.send_signal(signal.SIGKILL)
            for pid in pids:  # a container's processes all die with its main process
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            fault = Fault("worker", self.now(), self.config.kill_worker,
                          f"main process and {len(pids)} pool child(ren) SIGKILLed, started again at once")
            self.faults.append(fault)
            self.log(f"{name}: {fault.detail}")
            await self._restart_worker(worker)
            fault.back_s = self.now() - fault.at_s
        finally:
            self._busy.discard(name)

    async def kill_redis(self) -> None:
        redis = self.stack.redis
        if "redis" in self._busy:
            self.skipped.append({"kind": "redis", "at_s": _r(self.now()), "why": "already restarting"})
            return
        self._busy.add("redis")
        try:
            redis.proc.send_signal(signal.SIGKILL)
            fault = Fault("redis", self.now(), detail=f"SIGKILLed, started again {self.config.redis_down:g} s later")
            self.faults.append(fault)
            window: list[float | None] = [fault.at_s, None]
            self.redis_down.append(window)
            self.log("Redis SIGKILLed")
            await asyncio.to_thread(redis.proc.wait)
            redis.stop()  # closes its pipe; the port and password stay
            await asyncio.sleep(self.config.redis_down)
            await asyncio.to_thread(redis.start, 30.0)
            window[1] = self.now()
            fault.back_s = window[1] - fault.at_s
            self.log(f"Redis is back after {fault.back_s:.2f} s")
        finally:
            self._busy.discard("redis")

    async def kill_bot(self) -> None:
        if "bot" in self._busy:
            self.skipped.append({"kind": "bot", "at_s": _r(self.now()), "why": "already restarting"})
            return
        self._busy.add("bot")
        try:
            assert self.stack.bot is not None and self.stack.bot.proc is not None
            self.stack.bot.proc.send_signal(signal.SIGKILL)
            fault = Fault("bot", self.now(), detail="SIGKILLed, started again at once")
            self.faults.append(fault)
            self.log("bot SIGKILLed")
            await self._restart_bot(fault.at_s)
            fault.back_s = self.now() - fault.at_s
        finally:
            self._busy.discard("bot")

    # --- restarts ----------------------------------------------------------------

    async def _restart_worker(self, worker: Any, attempts: int = 5) -> None:
        """Start ``worker`` again once its process is gone; like compose, try again if it fails."""
        for attempt in range(1, attempts + 1):
            await asyncio.to_thread(worker.proc.wait)
            await asyncio.to_thread(worker.stop)  # closes its log
            try:
                await asyncio.to_thread(worker.start, 180.0)
            except Exception as exc:  # noqa: BLE001 (noted; the next attempt may succeed)
                self.errors.append(f"{_worker_name(worker)} start {attempt}: {exc!r}")
                self.log(f"{_worker_name(worker)} did not start: {exc!r}")
                with contextlib.suppress(ProcessLookupError, AttributeError):
                    worker.proc.kill()
                continue
            self.log(f"{_worker_name(worker)} is back")
            return
        raise RuntimeError(f"{_worker_name(worker)} did not start in {attempts} attempts")

    async def _restart_bot(self, down_since: float) -> None:
        """Start the bot again (same environment, data and log) once the old one is gone,
        and note when it was down: until the new one is connected to the gateway."""
        old = self.stack.bot
        assert old is not None and old.proc is not None
        window: list[float | None] = [down_since, None]
        self.bot_down.append(window)
        await asyncio.to_thread(old.proc.wait)
        old.stop()  # closes its log
        emulator = self.stack.emulator
        identified = emulator.identifies
        self.stack.bot = BotProcess(old.env, old.log_path).start()
        deadline = time.monotonic() + 120
        while not (emulator.identifies > identified and emulator.active_session is not None
                   and emulator.active_session.connected):
            if time.monotonic() > deadline or not self.stack.bot.alive():
                break  # the supervisor starts it again if it died
            await asyncio.sleep(0.05)
        window[1] = self.now()
        self.log(f"bot is back (connected to the gateway) after {window[1] - down_since:.2f} s")

    async def _supervise(self) -> None:
        """Start again what exited on its own, as compose's ``restart: unless-stopped`` does."""
        while True:
            await asyncio.sleep(0.5)
            try:
                await self._restart_exited()
            except Exception as exc:  # noqa: BLE001 (noted; the next round tries again)
                self.errors.append(f"supervisor: {exc!r}")
                self.log(f"supervisor: {exc!r}")

    async def _restart_exited(self) -> None:
        """One round of the supervisor: start again each process found exited."""
        for worker in self.stack.workers:
            name = _worker_name(worker)
            if name not in self._busy and not worker.alive():
                self._note_exit(name, worker.proc.returncode if worker.proc else None)
                self._busy.add(name)
                try:
                    await self._restart_worker(worker)
                finally:
                    self._busy.discard(name)
        bot = self.stack.bot
        if "bot" not in self._busy and bot is not None and not bot.alive():
            self._note_exit("bot", bot.proc.returncode if bot.proc else None)
            self._busy.add("bot")
            try:
                await self._restart_bot(self.now())
            finally:
                self._busy.discard("bot")
        redis = self.stack.redis
        if "redis" not in self._busy and (redis.proc is None or redis.proc.poll() is not None):
            self._note_exit("redis", redis.proc.returncode if redis.proc else None)
            window: list[float | None] = [self.now(), None]
            self.redis_down.append(window)
            redis.stop()
            await asyncio.to_thread(redis.start, 30.0)
            window[1] = self.now()

    def _note_exit(self, name: str, code: int | None) -> None:
        self.unplanned.append({"process": name, "at_s": _r(self.now()), "exit_code": code})
        self.log(f"{name} exited on its own (code {code}); starting it again")


# --- judging each interaction ---------------------------------------------------------


@dataclass
class Fate:
    """What became of one interaction, from the emulator's records."""

    at_s: float  # sent, seconds after the first send
    command: str
    user: int
    outcome: str = ""  # ok | duplicate | error | never_delivered | refused_redis_down | refused | no_ack | bot_down
    ack_s: float | None = None
    results: list[dict[str, Any]] = field(default_factory=list)  # each result delivered
    shown: list[str] = field(default_factory=list)  # error texts shown (not results)
    note: str = ""
    job_id: str | None = None
    shown_at_s: float | None = None  # when the first error text was shown

    @property
    def delivered_at_s(self) -> float | None:
        return self.results[0]["at_s"] if self.results else None


def _regen_job_id(body: dict[str, Any]) -> str | None:
    for row in body.get("components") or []:
        for component in row.get("components") or []:
            custom_id = str(component.get("custom_id") or "")
            if custom_id.startswith("wm:regen:"):
                return custom_id.rsplit(":", 1)[1]
    return None


def _result(request: Any, t0: float) -> dict[str, Any]:
    embed = request.json["embeds"][0]
    return {"at_s": round(request.at - t0, 3), "ok": embed.get("color") != ERROR_COLOUR,
            "title": embed.get("title"), "text": str(embed.get("description") or "")[:120],
            "job_id": _regen_job_id(request.json), "route": request.method + " " + request.path.split("/")[1]}


def _within(at: float, windows: list[list[float | None]], end_slack: float = 0.0) -> bool:
    """Whether ``at`` falls in one of ``windows`` (an open one runs on)."""
    return any(start is not None and start <= at <= (math.inf if end is None else end + end_slack)
               for start, end in windows)


def _overlaps(start: float, end: float, windows: list[list[float | None]]) -> bool:
    return any(a is not None and a <= end and (b is None or b >= start) for a, b in windows)


def judge(emulator: Any, schedule: list[Sent], chaos: Chaos) -> list[Fate]:
    """One :class:`Fate` per sent interaction (see the module's docstring)."""
    t0 = chaos.t0
    fates = []
    for item in schedule:
        record = item.record
        fate = Fate(round(record.created - t0, 3), item.command, item.user, job_id=item.job_id)
        if record.callback_type is not None:
            fate.ack_s = round(record.callback_at - record.created, 3)
        for request in emulator.requests_for(record):
            body = request.json if isinstance(request.json, dict) else {}
            if not 200 <= request.status < 300 or request.path.startswith("/interactions/"):
                continue
            if body.get("embeds"):
                fate.results.append(_result(request, t0))
            elif body.get("content") and not _PROGRESS.match(str(body["content"]).strip()):
                fate.shown.append(str(body["content"])[:200])
                if fate.shown_at_s is None:
                    fate.shown_at_s = round(request.at - t0, 3)
        fates.append(fate)
    _match_channel_posts(emulator, fates, t0)
    for fate, item in zip(fates, schedule, strict=True):
        fate.outcome = _outcome(fate, item.record, chaos)
    return fates


def _match_channel_posts(emulator: Any, fates: list[Fate], t0: float) -> None:
    """Results posted in the channel (the reply could no longer be edited) belong to the
    interaction of their job id, else to the first one of their user still without a result."""
    by_job = {f.job_id: f for f in fates if f.job_id}
    for request in emulator.requests_matching("POST", "/channels/"):
        body = request.json if isinstance(request.json, dict) else {}
        if not (200 <= request.status < 300 and body.get("embeds")
                and str(body.get("content") or "").startswith("<@")):
            continue
        result = _result(request, t0)
        owner = by_job.get(result["job_id"])
        if owner is None:
            user = int(re.match(r"<@!?(\d+)>", body["content"]).group(1))  # type: ignore[union-attr]
            owner = next((f for f in fates if f.user == user and not f.results and f.ack_s is not None), None)
        if owner is not None:
            owner.results.append(result)
            owner.results.sort(key=lambda r: r["at_s"])


def _refused_for_redis(fate: Fate, refused_at: float, chaos: Chaos) -> bool:
    """Every text shown is the unavailable refusal, and Redis was down at some moment
    between the interaction's arrival and ``refused_at``."""
    return all(t.startswith(UNAVAILABLE) for t in fate.shown) and _overlaps(fate.at_s, refused_at, chaos.redis_down)


def _outcome(fate: Fate, record: Any, chaos: Chaos) -> str:
    if record.callback_type is None:
        if _within(fate.at_s, chaos.bot_down):
            fate.note = "sent while the bot was down"
            return "bot_down"
        if _overlaps(fate.at_s, fate.at_s + ACK_DEADLINE, chaos.bot_down):
            fate.note = "received by the bot process that was killed, before its ack"
            return "bot_down"
        return "no_ack"
    if record.ephemeral or record.callback_type == 4:  # answered at once: a refusal
        text = str(((record.callback_json or {}).get("data") or {}).get("content") or "")
        fate.shown.append(text[:200])
        if text.startswith(UNAVAILABLE):
            if _refused_for_redis(fate, fate.at_s + (fate.ack_s or 0.0), chaos):
                return "refused_redis_down"
            fate.note = "refused as unavailable while Redis was up"
        return "refused"
    if len(fate.results) > 1:
        return "duplicate"
    if fate.shown:  # an error text in the reply (even if a result replaced it later)
        if fate.results:
            fate.note = "the result came after it"
        elif _refused_for_redis(fate, fate.shown_at_s if fate.shown_at_s is not None else fate.at_s, chaos):
            fate.note = "accepted, then refused as unavailable: Redis went down before the job was queued"
            return "refused_redis_down"
        return "error"
    if fate.results:
        return "ok" if fate.results[0]["ok"] else "error"
    if _overlaps(fate.at_s, fate.at_s + 1.0, chaos.bot_down):
        fate.note = "accepted by the bot process that was killed"
    return "never_delivered"


def _error_kind(fate: Fate) -> str:
    if fate.results and not fate.results[0]["ok"]:
        return f"error embed: {fate.results[0]['title']}: {fate.results[0]['text']}"
    text = fate.shown[0] if fate.shown else ""
    return ("refused: " if fate.outcome == "refused" else "shown: ") + re.sub(r"<t:\d+(:\w)?>", "<t:…>", text)


def summarise_chaos(fates: list[Fate], chaos: Chaos) -> dict[str, Any]:
    outcomes = Counter(f.outcome for f in fates)
    acks = [f.ack_s for f in fates if f.ack_s is not None]
    bot_down = [f for f in fates if f.outcome == "bot_down"]
    errors = Counter(_error_kind(f) for f in fates if f.outcome in ("error", "refused"))
    e2e = [f.delivered_at_s - f.at_s for f in fates if f.outcome == "ok" and f.delivered_at_s is not None]
    counts = {
        "sent": len(fates),
        "acknowledged": len(acks),
        "ack_under_3s": sum(1 for a in acks if a < ACK_DEADLINE),
        "delivered_once": outcomes["ok"],
        "duplicates": outcomes["duplicate"],
        "never_delivered": outcomes["never_delivered"],
        "errors_ours": outcomes["error"] + outcomes["refused"],
        "refused_redis_down": outcomes["refused_redis_down"],
        "no_ack": outcomes["no_ack"],
        "bot_down": len(bot_down),
        "bot_down_sent_while_down": sum(1 for f in bot_down if f.note.startswith("sent while")),
        "bot_down_in_flight_at_kill": sum(1 for f in bot_down if not f.note.startswith("sent while")),
        "results_posted_in_channel": sum(1 for f in fates for r in f.results if r["route"].startswith("POST")),
    }
    targets = {
        "duplicates": {"value": counts["duplicates"], "target": 0},
        "never_delivered": {"value": counts["never_delivered"], "target": 0},
        "errors_ours": {"value": counts["errors_ours"], "target": 0},
        "acks_over_3s_bot_up": {"value": counts["no_ack"] + (counts["acknowledged"] - counts["ack_under_3s"]),
                                "target": 0},
    }
    for target in targets.values():
        target["met"] = target["value"] <= target["target"]
    for fault in chaos.faults:
        commands = QUEUE_COMMANDS.get(fault.target, ()) if fault.kind in ("child", "worker") else ()
        after = [f.delivered_at_s for f in fates if f.outcome == "ok" and f.at_s >= fault.at_s
                 and f.delivered_at_s is not None and (not commands or f.command in commands)]
        fault.recovery_s = _r(min(after) - fault.at_s) if after else None
    return {
        "counts": counts,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets.values()),
        "outcomes": dict(outcomes),
        "errors_by_kind": dict(errors),
        "ack_p50_s": _r(percentile(acks, 50)), "ack_p99_s": _r(percentile(acks, 99)),
        "ack_max_s": _r(max(acks) if acks else None),
        "e2e_p50_s": _r(percentile(e2e, 50)), "e2e_p95_s": _r(percentile(e2e, 95)),
        "e2e_max_s": _r(max(e2e) if e2e else None),
        "faults": [{k: (_r(v) if isinstance(v, float) else v) for k, v in asdict(f).items()} for f in chaos.faults],
        "skipped_faults": chaos.skipped,
        "bot_down_windows_s": [[_r(a), _r(b)] for a, b in chaos.bot_down],
        "redis_down_windows_s": [[_r(a), _r(b)] for a, b in chaos.redis_down],
        "unplanned_exits": chaos.unplanned,
        "chaos_errors": chaos.errors,
        "http_faults": dict(chaos.http.counts),
        # every interaction that did not end "ok", for the logs' sake
        "not_ok": [{"at_s": f.at_s, "command": f.command, "outcome": f.outcome, "ack_s": f.ack_s,
                    "note": f.note, "job_id": f.job_id, "results": f.results, "shown": f.shown}
                   for f in fates if f.outcome != "ok"],
    }


# --- one run --------------------------------------------------------------------------


async def run_chaos(config: ChaosConfig) -> dict[str, Any]:
    """Start the stack, warm up, send the load while the faults strike, judge; returns the report."""
    load = config.load
    log_dir = load.log_dir or Path(tempfile.mkdtemp(prefix="wikimuse-chaos-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    http = HttpFaults(config.http_fault_share, load.rng_seed)
    # The bot's /metrics stays off: a restarted bot could not bind the port of the one killed.
    async with running_stack(load, 2, log_dir, emulator=FaultyDiscord(http), appendonly=True,
                             bot_env_extra={"BOT_METRICS_PORT": ""}) as stack:
        chaos = Chaos(stack, config, http)
        schedule = make_schedule(load, stack.users)
        chaos.start(time.monotonic())
        chaos.log(f"sending {len(schedule)} interactions; faults at {config.plan()}")
        try:
            extra = await run_schedule(stack.emulator, schedule, stack.redis.url, load.result_timeout,
                                       done=lambda em, item: _settled(em, item))
            await asyncio.sleep(config.settle_seconds)
        finally:
            await chaos.stop()
        report = summarise_chaos(judge(stack.emulator, schedule, chaos), chaos)
        report["span_seconds"] = _r(extra.get("span_seconds"), 1)
        report["peak_queue"] = extra.get("peak_queue", {})
        report["refused_by_discord"] = dict(Counter(
            f"{r.rule} {r.status} {r.code}" for r in stack.emulator.rejected()))
        report["broker_at_end"] = await broker_state(stack.redis.url)
        report["alive_at_end"] = {"bot": stack.bot is not None and stack.bot.alive(),
                                  **{_worker_name(w): w.alive() for w in stack.workers}}
        report["stack"] = {k: stack.out[k] for k in ("layout", "pools", "worker_warmup_seconds", "warmup_seconds",
                                                      "bot_log", "worker_logs") if k in stack.out}
    conf = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items() if k != "load"}
    conf["load"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(load).items()}
    conf["plan"] = config.plan()
    return {"config": conf, "host": host_info(), **report, "log_dir": str(log_dir)}


def _held_job(raw: bytes) -> str:
    """The task id of one of kombu's ``unacked`` entries (``[message, exchange, routing_key]``)."""
    try:
        return str(json.loads(raw)[0]["headers"]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return "?"


async def broker_state(redis_url: str) -> dict[str, Any]:
    """What kombu holds in Redis at the end: queue lengths, unacknowledged messages (with the
    age of their last stamp) and whether its sweep's mutex is taken (its time to live)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        index = dict(await client.zrange("unacked_index", 0, -1, withscores=True))
        held = await client.hgetall("unacked")
        return {"queues": {q: int(await client.llen(q)) for q in QUEUE_COMMANDS},
                "unacked": len(held),
                "unacked_stamp_ages_s": [round(time.time() - score, 1) for score in index.values()],
                # each held message: its job, and the age of its stamp (None: not in the index)
                "unacked_jobs": {_held_job(raw): (round(time.time() - index[tag], 1) if tag in index else None)
                                 for tag, raw in held.items()},
                "sweep_mutex_ttl_ms": int(await client.pttl("unacked_mutex"))}
    except (aioredis.RedisError, OSError) as exc:
        return {"error": repr(exc)}
    finally:
        await client.aclose()


def _settled(emulator: Any, item: Sent) -> bool:
    """load.py's "done", and also a reply that shows an error text instead of a result."""
    if _is_done(emulator, item):
        return True
    message = emulator.original_message(item.record) or {}
    content = str(message.get("content") or "").strip()
    return bool(content) and not _PROGRESS.match(content)


# --- output -----------------------------------------------------------------------------


def _fmt(value: Any, unit: str = " s") -> str:
    return "–" if value is None else f"{value}{unit}"


def markdown(report: dict[str, Any]) -> str:
    c = report["counts"]
    lines = ["| sent | ack < 3 s | delivered once | duplicates | never delivered | errors of ours | "
             "refused while Redis was down | bot down (sent while down + in flight at the kill) | "
             "ack p99 | e2e p50 | e2e p95 |",
             "|---|---|---|---|---|---|---|---|---|---|---|",
             f"| {c['sent']} | {c['ack_under_3s']}/{c['sent']} | {c['delivered_once']} | {c['duplicates']} | "
             f"{c['never_delivered']} | {c['errors_ours']} | {c['refused_redis_down']} | "
             f"{c['bot_down']} ({c['bot_down_sent_while_down']} + {c['bot_down_in_flight_at_kill']}) | "
             f"{_fmt(report['ack_p99_s'])} | {_fmt(report['e2e_p50_s'])} | {_fmt(report['e2e_p95_s'])} |",
             "",
             "| fault | at | what | back after | recovery (next delivery of a job sent after it) |",
             "|---|---|---|---|---|"]
    names = {"child": "pool child SIGKILL", "worker": "worker main process SIGKILL", "redis": "Redis SIGKILL",
             "bot": "bot SIGKILL"}
    for f in report["faults"]:
        what = names[f["kind"]] + (f" ({f['target']})" if f["target"] else "")
        lines.append(f"| {what} | {f['at_s']} s | {f['detail']} | {_fmt(f['back_s'])} | {_fmt(f['recovery_s'])} |")
    http = report["http_faults"]
    share = report["config"]["http_fault_share"]
    lines.append(f"| HTTP 429 / 5xx | whole run | {share:.0%} of the bot's requests: {http.get('429', 0)} x 429, "
                 f"{http.get('5xx', 0)} x 5xx | – | – |")
    lines.append("")
    for name, t in report["targets"].items():
        lines.append(f"- target {name}: {t['value']} (<= {t['target']}): {'met' if t['met'] else 'MISSED'}")
    for kind, n in sorted(report["errors_by_kind"].items(), key=lambda kv: -kv[1]):
        lines.append(f"- {n}x {kind}")
    for exit_ in report["unplanned_exits"]:
        lines.append(f"- {exit_['process']} exited on its own at {exit_['at_s']} s (code {exit_['exit_code']})")
    for skipped in report["skipped_faults"]:
        lines.append(f"- skipped: {skipped['kind']} at {skipped['at_s']} s ({skipped['why']})")
    for error in report["chaos_errors"]:
        lines.append(f"- failed: {error}")
    return "\n".join(lines)


def _at(value: float) -> float | None:
    return None if value < 0 else value


def parse_args(argv: list[str] | None = None) -> ChaosConfig:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_load_arguments(parser, users=20, interactions=240, seconds=240.0)
    parser.add_argument("--seed", type=int, default=0, help="random seed of the schedule and the HTTP faults")
    parser.add_argument("--kill-child-every", type=float, default=20.0, help="0: never")
    parser.add_argument("--max-child-kills", type=int, default=0, help="0: no limit")
    parser.add_argument("--child-of", choices=["music", "text"], default="music",
                        help="the worker whose pool child is killed (text runs threads: no child)")
    parser.add_argument("--kill-worker-at", type=float, default=180.0, help="below 0: never")
    parser.add_argument("--kill-worker", choices=["music", "text"], default="music")
    parser.add_argument("--kill-redis-at", type=float, default=120.0, help="below 0: never")
    parser.add_argument("--redis-down", type=float, default=3.0, help="seconds before Redis starts again")
    parser.add_argument("--kill-bot-at", type=float, default=60.0, help="below 0: never")
    parser.add_argument("--http-fault-share", type=float, default=0.02,
                        help="share of the bot's REST requests answered 429 (half) or 5xx (half)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to watch for late duplicates after the last interaction settled")
    parser.add_argument("--result-timeout", type=float, default=900.0)
    parser.add_argument("--log-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    from workers.settings import get_settings

    load = LoadConfig(
        model_dir=(args.model_dir or get_settings().model_dir).resolve(), users=args.users,
        interactions=args.interactions, seconds=args.seconds, workers=(2,), compose_share=args.compose_share,
        wiki_length=args.wiki_length, compose_seconds=args.compose_seconds, compose_model=args.compose_model,
        genres=tuple(args.genres), single_runs=0, rng_seed=args.seed, result_timeout=args.result_timeout,
        log_dir=args.log_dir, **LIFTED_LIMITS)
    return ChaosConfig(load, kill_child_every=args.kill_child_every, max_child_kills=args.max_child_kills,
                       child_of=args.child_of,
                       kill_worker_at=_at(args.kill_worker_at), kill_worker=args.kill_worker,
                       kill_redis_at=_at(args.kill_redis_at), redis_down=args.redis_down,
                       kill_bot_at=_at(args.kill_bot_at), http_fault_share=args.http_fault_share,
                       settle_seconds=args.settle)


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    report = run_and_print(config.load.model_dir, lambda: run_chaos(config), markdown, "CHAOS_JSON")
    if report is None:
        return 2
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
