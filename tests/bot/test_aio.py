"""Stopping tasks always returns, even for a task that outlives one cancellation."""

from __future__ import annotations

import asyncio
import logging

from bot.aio import stop_tasks


async def _survives_one_cancel(log: list[str]) -> None:
    while True:  # the shape of a loop whose cancellation a library dropped once
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            if not log:
                log.append("swallowed")
                continue
            raise


async def _ignores_cancels(release: asyncio.Event) -> None:
    while not release.is_set():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass


async def test_a_task_that_drops_a_cancellation_is_cancelled_again():
    seen: list[str] = []
    task = asyncio.create_task(_survives_one_cancel(seen))
    await asyncio.sleep(0)
    assert await stop_tasks([task], grace=2.0) == []
    assert seen == ["swallowed"] and task.cancelled()


async def test_a_task_that_never_stops_is_named_and_given_up_on(caplog):
    release = asyncio.Event()
    task = asyncio.create_task(_ignores_cancels(release), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="bot.aio"):
        left = await stop_tasks([task], grace=0.5)
    assert left == [task] and not task.done()
    assert "stubborn" in caplog.text and "_ignores_cancels" in caplog.text
    release.set()
    task.cancel()
    await asyncio.wait_for(task, 1.0)


async def test_finished_and_failed_tasks_are_collected():
    async def fail() -> None:
        raise ValueError("boom")

    done = asyncio.create_task(asyncio.sleep(0))
    failed = asyncio.create_task(fail())
    await asyncio.sleep(0.01)
    assert await stop_tasks([done, failed], grace=1.0) == []
