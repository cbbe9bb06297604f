"""Run the real wikimuse bot (``bot.runtime.open_bot``) against the emulator, in this event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import redis

from bot.aio import task_stack
from bot.client import EXTENSIONS, WikimuseBot
from bot.runtime import open_bot
from bot.settings import BotSettings
from tests.emulator.server import DiscordEmulator

# Tests invoke commands back to back: no cooldown unless a test asks for one.
TEST_LIMITS = {"cooldown_seconds": 0.0, "max_concurrent_per_user": 10,
               "daily_quota_per_guild": 10_000, "max_queue_length": 1_000}

# Worker env for e2e tests: the first job of a fresh worker imports TensorFlow and
# loads a model; on a loaded 2-core CI machine that can pass the default 120 s soft
# limit, which is not what these tests are about.
PATIENT_LIMITS = {"TASK_SOFT_TIME_LIMIT": "600", "TASK_TIME_LIMIT": "660"}


def clear_bot_state(redis_url: str) -> None:
    """Delete the bot's own keys (never Celery's or kombu's) so tests start clean."""
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match="wikimuse:bot:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextlib.asynccontextmanager
async def running_bot(emulator: DiscordEmulator, *, redis_url: str | None, sync: bool = True,
                      extensions: Sequence[str] = EXTENSIONS,
                      embedded_env: Mapping[str, str] | None = None,
                      ready_timeout: float = 30.0, **overrides: Any) -> AsyncIterator[WikimuseBot]:
    """Start the bot (connected, commands synced) for the block, then close it.

    ``redis_url=None`` runs the embedded stack, exactly as ``python -m bot`` without
    REDIS_URL does. Keyword overrides go to :class:`BotSettings`.
    """
    fields: dict[str, Any] = {"log_json": False, "poll_interval": 0.2, **TEST_LIMITS, **overrides}
    settings = BotSettings(token=emulator.token, redis_url=redis_url, **fields)
    async with open_bot(settings, sync_commands=sync, extensions=extensions,
                        embedded_env=embedded_env) as bot:
        task = asyncio.create_task(bot.start(settings.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()  # raises what stopped the bot
            if ready not in done:
                raise TimeoutError(f"the bot was not ready within {ready_timeout}s")
            yield bot
        finally:
            ready.cancel()
            await close_or_explain(bot)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


CLOSE_TIMEOUT = 45.0  # longer than the bot's own grace periods for deliveries and tasks


async def close_or_explain(bot: WikimuseBot) -> None:
    """``bot.close()``, failing with every task's stack if it does not return in time."""
    try:
        await asyncio.wait_for(bot.close(), CLOSE_TIMEOUT)
    except TimeoutError:
        stacks = "\n".join(f"--- {t.get_name()}\n{task_stack(t)}" for t in asyncio.all_tasks())
        raise AssertionError(f"bot.close() did not return within {CLOSE_TIMEOUT}s; tasks:\n{stacks}") from None


def assert_progress_edits(edits: list, prefixes: tuple[str, ...], interval: float = 2.0,
                          final_gap: float = 0.5) -> None:
    """The edits of a deferred reply before its result are progress texts (starting with one
    of ``prefixes``), at most one per ``interval``; the result follows the last of them by at
    least ``final_gap``. A job faster than the quiet start has no progress edit at all."""
    progress, result = edits[:-1], edits[-1]
    assert result.json.get("embeds"), result.json
    for edit in progress:
        assert (edit.json.get("content") or "").lower().startswith(prefixes), edit.json
    gaps = [b.at - a.at for a, b in zip(progress, progress[1:], strict=False)]
    assert all(gap >= interval - 0.1 for gap in gaps), gaps
    if progress:
        assert result.at - progress[-1].at >= final_gap - 0.05, result.at - progress[-1].at
