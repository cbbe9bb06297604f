"""Enqueue jobs by task name and follow them without blocking the event loop.

The bot holds a Celery *client* only (``send_task`` by name, JSON only); it never
imports worker code. Celery's Redis result backend publishes every state change
(started, progress, result) on the task's key: :class:`ResultFeed` subscribes to
the followed jobs on one pub/sub connection and hands each change to its
follower at once. A slow read of the stored state is only the safety net (after a
reconnect, or every ``safety_interval``). Queue positions come from one read of
each queue per ``poll_interval``, shared by every follower. All of it with redis'
asyncio client: the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
from celery import Celery
from kombu import Exchange, Queue
from kombu.exceptions import OperationalError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot import redis_client
from bot.aio import stop_tasks
from workers import contracts
from workers.contracts import (
    ContinueJob,
    Contract,
    ContractError,
    ErrorResult,
    MusicResult,
    Progress,
    WikiResult,
)

log = logging.getLogger(__name__)

Result = WikiResult | MusicResult | ErrorResult

STATE_QUEUED, STATE_RUNNING, STATE_DONE = "queued", "running", "done"

# What reading job state raises while Redis restarts or is away: the bot retries.
BACKEND_ERRORS = (redis.exceptions.RedisError, OperationalError, OSError)
RETRY_MAX_SECONDS = 5.0  # the longest pause between reads while the backend is away
CLOSE_GRACE_SECONDS = 5.0  # how long close() waits for the feed's reader to stop

NO_RESULT_IN_TIME = "No result arrived in time. Please try again later."


FEED_CHANNEL = "wikimuse:bot:feed"  # keeps the pub/sub connection subscribed while no job is followed
FEED_PING_SECONDS = 15.0  # a silent pub/sub connection is pinged, so a dead one is noticed
RESYNC = b""  # handed to every follower after the feed (re)connects: read the stored state
# What a follower's (un)subscribe on the reader's connection may raise. Besides the backend's
# errors, redis-py raises AttributeError ("'NoneType' object has no attribute 'writelines'")
# when that connection was dropped meanwhile (Redis restarted): an unsubscribe then made the
# wait of a finished job raise instead of returning its result.
FEED_SEND_ERRORS = (*BACKEND_ERRORS, AttributeError)


class ResultFeed:
    """The result backend's state changes of the followed jobs, on one pub/sub connection.

    Each follower gets an :class:`asyncio.Queue` of raw state payloads (and
    :data:`RESYNC` after every (re)connection, since changes published while the
    feed was away are lost). The connection is re-established with a growing pause
    when Redis goes away.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self._followers: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def follow(self, channel: str) -> AsyncIterator[asyncio.Queue[bytes]]:
        """Subscribe to ``channel`` for the block; read the state after entering (a change
        published before the subscription took effect is not in the queue)."""
        changes: asyncio.Queue[bytes] = asyncio.Queue()
        followers = self._followers.setdefault(channel, set())
        followers.add(changes)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._run(), name="wikimuse-result-feed")
        elif len(followers) == 1 and self._pubsub is not None:
            with contextlib.suppress(*FEED_SEND_ERRORS):  # else the reconnect subscribes it
                await self._pubsub.subscribe(channel)
        try:
            yield changes
        finally:
            followers.discard(changes)
            if not followers and self._followers.get(channel) is followers:
                del self._followers[channel]
                if self._pubsub is not None:
                    with contextlib.suppress(*FEED_SEND_ERRORS):  # the reconnect subscribes only followers
                        await self._pubsub.unsubscribe(channel)

    def _broadcast(self, payload: bytes) -> None:
        for followers in self._followers.values():
            for changes in followers:
                changes.put_nowait(payload)

    async def _run(self) -> None:
        failures = 0
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                self._pubsub = pubsub  # from here on, a new follower subscribes itself
                await pubsub.subscribe(FEED_CHANNEL, *self._followers)
                if failures:
                    log.info("result feed back after %d failed attempt(s)", failures)
                failures = 0
                self._broadcast(RESYNC)
                pinged = time.monotonic()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        channel = message["channel"]
                        channel = channel.decode() if isinstance(channel, bytes) else channel
                        for changes in self._followers.get(channel, ()):
                            changes.put_nowait(message["data"])
                    elif time.monotonic() - pinged > FEED_PING_SECONDS:
                        await pubsub.ping()
                        pinged = time.monotonic()
            except BACKEND_ERRORS as exc:
                if not failures:
                    log.warning("lost the result feed; reconnecting: %s", exc)
                failures += 1
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(min(RETRY_MAX_SECONDS, 0.1 * 2 ** failures))

    async def close(self) -> None:
        if self._reader is not None:
            await stop_tasks([self._reader], CLOSE_GRACE_SECONDS)


def start_deadline(job_timeout: float) -> float:
    """Seconds after sending by which a job must have started, or the workers drop it."""
    return max(job_timeout - contracts.JOB_RUN_ALLOWANCE, job_timeout / 2)


def make_celery_client(redis_url: str, sentinel_master: str | None = None) -> Celery:
    """A producer-only Celery app for ``redis_url``: JSON only, same queues as the workers.

    No transport options for redelivery (``visibility_timeout``): only consumers (the
    workers) read them. A ``sentinel://`` URL needs ``sentinel_master``, the name of the
    master its sentinels monitor (kombu's and Celery's ``master_name``).
    """
    app = Celery("wikimuse-bot", broker=redis_url, backend=redis_url)
    if contracts.sentinel_address(redis_url, sentinel_master) is not None:
        app.conf.broker_transport_options = {"master_name": sentinel_master}
        app.conf.result_backend_transport_options = {"master_name": sentinel_master}
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_queues=tuple(Queue(name, Exchange(name, type="direct"), routing_key=name)
                          for name in (contracts.QUEUE_TEXT, contracts.QUEUE_MUSIC)),
        task_routes={name: {"queue": queue} for name, queue in contracts.TASK_QUEUES.items()},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        # A read of job state fails fast while Redis is away; JobBackend.wait retries.
        redis_socket_connect_timeout=2,
        redis_socket_timeout=10,
    )
    return app


@dataclass(frozen=True)
class JobStatus:
    """Where a job is: waiting (with its queue position), running (with progress) or done."""

    state: str
    position: int | None = None  # 1 = next to run; None when unknown
    progress: Progress | None = None
    result: Result | None = None


StatusCallback = Callable[[JobStatus], Awaitable[None]]


class JobBackend:
    """Submit jobs and watch them: the bot's only door to the queue.

    Args:
        redis_url: broker and result backend (the same Redis the workers use).
        sentinel_master: the master's name when ``redis_url`` lists sentinels.
        poll_interval: seconds between reads of the queues, for the positions of waiting jobs.
        safety_interval: seconds between reads of a followed job's stored state, should
            a published change be missed (changes themselves come from :class:`ResultFeed`).
        job_timeout: how long the bot waits for a job; it is sent to expire
            :func:`start_deadline` seconds after sending, unless started.
    """

    def __init__(self, redis_url: str, *, poll_interval: float = 0.5, safety_interval: float = 5.0,
                 job_timeout: float = 600.0, sentinel_master: str | None = None) -> None:
        self.redis_url = redis_url
        self.poll_interval = poll_interval
        self.safety_interval = max(safety_interval, poll_interval)
        self.job_timeout = job_timeout
        self.celery = make_celery_client(redis_url, sentinel_master)
        # Short timeouts: an interaction must be answered within 3 s, even when Redis is away.
        # After a Redis restart a pooled connection can still be the dead server's, and
        # ``from_url`` retries nothing: the first command on it failed ("Connection closed
        # by server"), and an interaction arriving then was refused though Redis was up. A
        # command that fails to connect or to reach the server is tried once more, at once,
        # on a fresh connection; a timeout is not (the command may have run).
        self.redis: aioredis.Redis = redis_client.connect(
            redis_url, sentinel_master, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)))
        self.feed = ResultFeed(self.redis)
        self._queue_reads: dict[str, tuple[float, list[bytes]]] = {}
        self._queue_locks: dict[str, asyncio.Lock] = {}

    async def close(self) -> None:
        await self.feed.close()
        await redis_client.aclose(self.redis)
        await asyncio.to_thread(self.celery.close)

    async def submit(self, job: Contract, task_name: str) -> str:
        """Enqueue ``job`` (its ``job_id`` becomes the task id) and return the id.

        A large uploaded MIDI file goes by reference (see ``contracts.UPLOAD_INLINE_MAX``),
        kept for as long as the job may wait and run.
        """
        job_id = job.job_id  # type: ignore[attr-defined]
        payload = job.to_dict()
        if isinstance(job, ContinueJob) and len(job.midi_b64) > contracts.UPLOAD_INLINE_MAX:
            key = contracts.UPLOAD_KEY.format(job_id)
            await self.redis.set(key, job.midi_b64, ex=int(self.job_timeout) + 60)
            payload = {**payload, "midi_b64": "", "midi_ref": key}
        await asyncio.to_thread(
            self.celery.send_task, task_name, args=[payload],
            queue=contracts.TASK_QUEUES[task_name], task_id=job_id,
            expires=start_deadline(self.job_timeout))
        log.info("enqueued %s", task_name, extra={"job_id": job_id})
        return job_id

    async def queue_position(self, job_id: str, queue: str) -> int | None:
        """1-based position of a waiting job (1 runs next), or None if it is not waiting."""
        return (await self.queue_positions([job_id], queue))[job_id]

    async def queue_positions(self, job_ids: list[str], queue: str) -> dict[str, int | None]:
        """:meth:`queue_position` of several jobs, from one read of the queue."""
        # kombu's Redis transport LPUSHes messages and workers BRPOP from the right.
        items = await self._queue_items(queue)
        positions: dict[str, int | None] = dict.fromkeys(job_ids)
        for index, item in enumerate(items):
            for job_id in job_ids:
                if positions[job_id] is None and job_id.encode() in item:
                    positions[job_id] = len(items) - index
        return positions

    async def _queue_items(self, queue: str) -> list[bytes]:
        """The queue's messages, read at most once per ``poll_interval`` for all followers."""
        lock = self._queue_locks.setdefault(queue, asyncio.Lock())
        async with lock:
            read = self._queue_reads.get(queue)
            if read is None or time.monotonic() - read[0] >= self.poll_interval:
                read = (time.monotonic(), await self.redis.lrange(queue, 0, -1))
                self._queue_reads[queue] = read
            return read[1]

    def meta_channel(self, job_id: str) -> str:
        """The result backend's key of ``job_id``, on which it also publishes each change."""
        key = self.celery.backend.get_key_for_task(job_id)
        return key.decode() if isinstance(key, bytes) else key

    def _decode_meta(self, raw: bytes | None) -> dict[str, Any]:
        if not raw:
            return {"status": "PENDING", "result": None}
        return self.celery.backend.decode_result(raw)

    async def status(self, job_id: str, queue: str,
                     positions: dict[str, int | None] | None = None) -> JobStatus:
        """The job's stored state (a read of the result backend); ``positions`` (from
        :meth:`queue_positions`) saves reading the queue."""
        return await self.status_from_meta(
            job_id, queue, self._decode_meta(await self.redis.get(self.meta_channel(job_id))),
            positions)

    async def status_from_meta(self, job_id: str, queue: str, meta: dict[str, Any],
                               positions: dict[str, int | None] | None = None) -> JobStatus:
        """:class:`JobStatus` of a decoded result-backend record (read or published)."""
        state, info = meta.get("status"), meta.get("result")
        if state == "SUCCESS":
            try:
                return JobStatus(STATE_DONE, result=contracts.result_from_dict(info))
            except ContractError:
                log.exception("worker returned a malformed result", extra={"job_id": job_id})
                return JobStatus(STATE_DONE, result=ErrorResult(
                    job_id=job_id, code=contracts.ERR_INTERNAL,
                    message="The worker returned something unreadable. Please try again."))
        if state == "REVOKED" and "expired" in str(info):  # not started by start_deadline
            return JobStatus(STATE_DONE, result=ErrorResult(
                job_id=job_id, code=contracts.ERR_TIMEOUT, message=NO_RESULT_IN_TIME))
        if state == "REVOKED":
            return JobStatus(STATE_DONE, result=ErrorResult(
                job_id=job_id, code=contracts.ERR_CANCELLED, message="This job was cancelled."))
        if state == "FAILURE":
            log.error("job failed in the worker: %s", str(info)[:500], extra={"job_id": job_id})
            return JobStatus(STATE_DONE, result=ErrorResult(
                job_id=job_id, code=contracts.ERR_INTERNAL,
                message="Something went wrong on our side. Please try again."))
        if state == contracts.STATE_PROGRESS:
            try:
                progress = Progress.from_dict(info)
            except ContractError:
                progress = None
            return JobStatus(STATE_RUNNING, progress=progress)
        if state == "STARTED":
            return JobStatus(STATE_RUNNING)
        position = positions.get(job_id) if positions is not None else await self.queue_position(job_id, queue)
        return JobStatus(STATE_QUEUED, position=position)

    async def wait(self, job_id: str, queue: str, on_status: StatusCallback | None = None,
                   timeout: float = 600.0) -> Result:
        """Follow the job until it is done; call ``on_status`` on each change before that
        (and once per ``poll_interval`` while it waits in the queue, for its position).

        Changes come from the result feed; the stored state is read at the start, after
        the feed reconnects, and every ``safety_interval``. A read that fails because
        Redis is away is retried, with a growing pause (up to :data:`RETRY_MAX_SECONDS`):
        the job goes on in the workers, and what finished meanwhile is read once Redis
        is back. The deadline ends the wait only after a read that found the job not
        done (without Redis nothing could be delivered).
        """
        deadline = time.monotonic() + timeout
        failures = 0
        status: JobStatus | None = None
        read_at = -float("inf")
        async with self.feed.follow(self.meta_channel(job_id)) as changes:
            while True:
                try:
                    if status is None or time.monotonic() - read_at >= self.safety_interval:
                        status = await self.status(job_id, queue)
                        read_at = time.monotonic()
                    elif status.state == STATE_QUEUED:
                        status = JobStatus(STATE_QUEUED, position=await self.queue_position(job_id, queue))
                except BACKEND_ERRORS as exc:
                    if not failures:
                        log.warning("lost the backend while following a job; retrying: %s", exc,
                                    extra={"job_id": job_id})
                    failures += 1
                    status = None
                else:
                    if failures:
                        log.info("backend back after %d failed read(s)", failures, extra={"job_id": job_id})
                    failures = 0
                if status is not None and status.result is not None:
                    return status.result
                if status is not None and time.monotonic() > deadline:  # known not done, not just unread
                    return ErrorResult(job_id=job_id, code=contracts.ERR_TIMEOUT, message=NO_RESULT_IN_TIME)
                if status is not None and on_status is not None:
                    await on_status(status)
                if failures:
                    pause = min(RETRY_MAX_SECONDS, self.poll_interval * 2 ** failures)
                elif status is not None and status.state == STATE_QUEUED:
                    pause = self.poll_interval
                else:
                    pause = self.safety_interval - (time.monotonic() - read_at)
                left = deadline - time.monotonic()
                pause = max(min(pause, left + 0.01) if left > 0 else pause, 0.0)
                try:
                    # Not asyncio.wait_for: on 3.11 it can drop a cancellation (see bot.aio).
                    async with asyncio.timeout(pause):
                        payload = await changes.get()
                except TimeoutError:
                    continue
                if payload == RESYNC:
                    status = None  # changes were missed while the feed was away: read
                    continue
                try:
                    status = await self.status_from_meta(job_id, queue, self._decode_meta(payload))
                except (ValueError, TypeError):
                    log.warning("unreadable published state", extra={"job_id": job_id})
                    status = None

    async def cancel(self, job_id: str) -> None:
        """Revoke a queued or running job; whoever waits on it sees ``cancelled``."""

        def revoke() -> None:
            # Workers skip a revoked queued job and stop a running one (SIGTERM).
            self.celery.control.revoke(job_id, terminate=True, signal="SIGTERM")
            # Record REVOKED now: with no worker up, nobody else would.
            self.celery.backend.mark_as_revoked(job_id, reason="cancelled by the requester")

        await asyncio.to_thread(revoke)


class ThrottledEditor:
    """Edits a message at most once per ``interval`` seconds, skipping repeats.

    Progress texts that arrive too soon are dropped (the next one supersedes
    them); :meth:`wait_turn` sleeps until the next progress edit is allowed.
    ``quiet_start`` holds progress edits back for that long after creation: a
    deferred reply already shows "thinking…", so a job that finishes sooner is
    answered with its result directly, never with a stale "Queued" first. The
    final result, which must not be dropped, waits only ``final_gap`` after the
    last edit (:meth:`wait_final`).
    """

    def __init__(self, edit: Callable[[str], Awaitable[None]], interval: float = 2.0, *,
                 quiet_start: float = 0.0, final_gap: float = 0.5) -> None:
        self._edit = edit
        self.interval = interval
        self.final_gap = final_gap
        self._quiet_until = time.monotonic() + quiet_start
        self._last_text: str | None = None
        self._last_at = -float("inf")
        self.edits = 0

    def mark_edited(self) -> None:
        self._last_at = time.monotonic()

    async def show(self, text: str) -> None:
        now = time.monotonic()
        if text == self._last_text or now < self._quiet_until or now - self._last_at < self.interval:
            return
        self._last_text = text
        await self._edit(text)
        self.edits += 1
        self.mark_edited()

    async def _wait_since_last(self, gap: float) -> None:
        remaining = gap - (time.monotonic() - self._last_at)
        if remaining > 0:
            await asyncio.sleep(remaining)

    async def wait_turn(self) -> None:
        await self._wait_since_last(self.interval)

    async def wait_final(self) -> None:
        await self._wait_since_last(min(self.final_gap, self.interval))
