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
from celery import Celery
from kombu import Exchange, Queue

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

# Must match the workers' value (workers/settings.py): Redis redelivers unacked
# messages after this; a producer only passes it along.
VISIBILITY_TIMEOUT = 3600


def make_celery_client(redis_url: str) -> Celery:
    """A producer-only Celery app for ``redis_url``: JSON only, same queues as the workers."""
    app = Celery("wikimuse-bot", broker=redis_url, backend=redis_url)
    transport = {"visibility_timeout": VISIBILITY_TIMEOUT}
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_queues=tuple(Queue(name, Exchange(name, type="direct"), routing_key=name)
                          for name in (contracts.QUEUE_TEXT, contracts.QUEUE_MUSIC)),
        task_routes={name: {"queue": queue} for name, queue in contracts.TASK_QUEUES.items()},
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
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
    """

    def __init__(self, redis_url: str, *, poll_interval: float = 0.5) -> None:
        self.redis_url = redis_url
        self.poll_interval = poll_interval
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
            queue=contracts.TASK_QUEUES[task_name], task_id=job_id)
        log.info("enqueued %s", task_name, extra={"job_id": job_id})
        return job_id

    async def queue_position(self, job_id: str, queue: str) -> int | None:
        """1-based position of a waiting job (1 runs next), or None if it is not waiting."""
        return (await self.queue_positions([job_id], queue))[job_id]

    async def queue_positions(self, job_ids: list[str], queue: str) -> dict[str, int | None]:
        """:meth:`queue_position` of several jobs, from one read of the queue."""
        # kombu's Redis transport LPUSHes messages and workers BRPOP from the right.
        items = await self.redis.lrange(queue, 0, -1)
        positions: dict[str, int | None] = dict.fromkeys(job_ids)
        for index, item in enumerate(items):
            for job_id in job_ids:
                if positions[job_id] is None and job_id.encode() in item:
                    positions[job_id] = len(items) - index
        return positions

    def _task_meta(self, job_id: str) -> dict[str, Any]:
        return self.celery.backend.get_task_meta(job_id)

    async def status(self, job_id: str, queue: str,
                     positions: dict[str, int | None] | None = None) -> JobStatus:
        """Where ``job_id`` is; ``positions`` (from :meth:`queue_positions`) saves reading the queue."""
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
        """Poll until the job is done; call ``on_status`` on every poll before that."""
        deadline = time.monotonic() + timeout
        while True:
            status = await self.status(job_id, queue)
            if status.result is not None:
                return status.result
            if time.monotonic() > deadline:
                return ErrorResult(job_id=job_id, code=contracts.ERR_TIMEOUT,
                                   message="No result arrived in time. Please try again later.")
            if on_status is not None:
                await on_status(status)
            await asyncio.sleep(self.poll_interval)

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
