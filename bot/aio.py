"""Stopping background tasks so that shutdown always returns.

``task.cancel()`` followed by ``await task`` can wait forever: on Python 3.11,
``asyncio.wait_for`` (ours, or a library's around a socket write) returns the inner
result and drops the cancellation when both arrive in the same loop iteration, and a
``while True`` loop then simply goes on. :func:`stop_tasks` cancels again until every
task has ended, for at most ``grace`` seconds, and names whatever is left.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

RECANCEL_SECONDS = 0.2  # how often a task that outlived its cancellation is cancelled again


def task_stack(task: asyncio.Task[object]) -> str:
    """Where ``task`` is suspended, as a traceback."""
    out = io.StringIO()
    task.print_stack(file=out)
    return out.getvalue()


async def stop_tasks(tasks: Iterable[asyncio.Task[object]], grace: float) -> list[asyncio.Task[object]]:
    """Cancel ``tasks`` (again and again, see the module docstring) and wait for them.

    Returns the tasks still running after ``grace`` seconds (none, unless one catches
    :class:`asyncio.CancelledError` on purpose); each is logged with its stack.
    """
    tasks = list(tasks)
    pending = {t for t in tasks if not t.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while pending:
        left = deadline - loop.time()
        if left <= 0:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_SECONDS, left))
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: a failure was logged where it happened
    for task in pending:
        log.error("task %s did not stop within %.1f s:\n%s", task.get_name(), grace, task_stack(task))
    return list(pending)
