"""Enqueue jobs by task name and follow them without blocking the event loop.

The bot holds a Celery *client* only (``send_task`` by name, JSON only); it never
imports worker code. Job state is read from the result backend in a worker
thread (``asyncio.to_thread``), and the queue position from the broker's Redis
list with redis' asyncio client, so the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
from celery import Celery
from kombu import Exchange, Queue
from kombu.exceptions import OperationalError

from workers import contracts
from workers.contracts import (
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

NO_RESULT_IN_TIME = "No result arrived in time. Please try again later."


def start_deadline(job_timeout: float) -> float:
    """Seconds after sending by which a job must have started, or the workers drop it."""
    return max(job_timeout - contracts.JOB_RUN_ALLOWANCE, job_timeout / 2)


def make_celery_client(redis_url: str) -> Celery:
    """A producer-only Celery app for ``redis_url``: JSON only, same queues as the workers.

    No transport options for redelivery (``visibility_timeout``): only consumers (the
    workers) read them.
    """
    app = Celery("wikimuse-bot", broker=redis_url, backend=redis_url)
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
        poll_interval: seconds between reads of a job's state.
        job_timeout: how long the bot waits for a job; it is sent to expire
            :func:`start_deadline` seconds after sending, unless started.
    """

    def __init__(self, redis_url: str, *, poll_interval: float = 0.5, job_timeout: float = 600.0) -> None:
        self.redis_url = redis_url
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.celery = make_celery_client(redis_url)
        # Short timeouts: an interaction must be answered within 3 s, even when Redis is away.
        self.redis: aioredis.Redis = aioredis.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)

    async def close(self) -> None:
        await self.redis.aclose()
        await asyncio.to_thread(self.celery.close)

    async def submit(self, job: Contract, task_name: str) -> str:
        """Enqueue ``job`` (its ``job_id`` becomes the task id) and return the id."""
        job_id = job.job_id  # type: ignore[attr-defined]
        await asyncio.to_thread(
            self.celery.send_task, task_name, args=[job.to_dict()],
            queue=contracts.TASK_QUEUES[task_name], task_id=job_id,
            expires=start_deadline(self.job_timeout))
        log.info("enqueued %s", task_name, extra={"job_id": job_id})
        return job_id

    async def queue_position(self, job_id: str, queue: str) -> int | None:
        """1-based position of a waiting job (1 runs next), or None if it is not waiting."""
        # kombu's Redis transport LPUSHes messages and workers BRPOP from the right.
        items = await self.redis.lrange(queue, 0, -1)
        needle = job_id.encode()
        for index, item in enumerate(items):
            if needle in item:
                return len(items) - index
        return None

    def _task_meta(self, job_id: str) -> dict[str, Any]:
        return self.celery.backend.get_task_meta(job_id)

    async def status(self, job_id: str, queue: str) -> JobStatus:
        meta = await asyncio.to_thread(self._task_meta, job_id)
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
        return JobStatus(STATE_QUEUED, position=await self.queue_position(job_id, queue))

    async def wait(self, job_id: str, queue: str, on_status: StatusCallback | None = None,
                   timeout: float = 600.0) -> Result:
        """Poll until the job is done; call ``on_status`` on every poll before that.

        A read that fails because Redis is away is retried, with a growing pause (up to
        :data:`RETRY_MAX_SECONDS`): the job goes on in the workers, and what finished
        meanwhile is read once Redis is back. The deadline ends the wait only after a
        read that found the job not done (without Redis nothing could be delivered).
        """
        deadline = time.monotonic() + timeout
        failures = 0
        while True:
            try:
                status: JobStatus | None = await self.status(job_id, queue)
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
            pause = min(RETRY_MAX_SECONDS, self.poll_interval * 2 ** failures) if failures else self.poll_interval
            await asyncio.sleep(pause)

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
