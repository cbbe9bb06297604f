"""The bot's lifetime: open its resources in order, close them in reverse.

``python -m bot`` and the end-to-end tests both go through :func:`open_bot`, so the
tests run the same wiring as production (embedded stack included).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence

from bot import metrics
from bot.client import EXTENSIONS, WikimuseBot
from bot.embedded import EmbeddedBackend
from bot.jobs import JobBackend
from bot.settings import BotSettings
from bot.store import PENDING_KEY

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_bot(settings: BotSettings, *, sync_commands: bool = False,
                   extensions: Sequence[str] = EXTENSIONS,
                   embedded_env: Mapping[str, str] | None = None) -> AsyncIterator[WikimuseBot]:
    """Yield a ready-to-start bot; with no ``settings.redis_url``, run the embedded stack too.

    Args:
        settings: the bot's settings.
        sync_commands: sync application commands at startup.
        extensions: cogs to load.
        embedded_env: extra environment for ``python -m workers.embedded serve``.
    """
    async with contextlib.AsyncExitStack() as stack:
        redis_url = settings.redis_url
        if redis_url is None:
            log.info("REDIS_URL is not set: starting the embedded Redis and worker")
            redis_url = await stack.enter_async_context(
                EmbeddedBackend(env=embedded_env, start_timeout=settings.embedded_start_timeout))
        backend = JobBackend(redis_url, poll_interval=settings.poll_interval, job_timeout=settings.job_timeout,
                             sentinel_master=settings.redis_sentinel_master)
        stack.push_async_callback(backend.close)
        exporter: metrics.Exporter | None = None
        if settings.metrics_port is not None:
            exporter = metrics.start_exporter(settings.metrics_port, redis_url, PENDING_KEY,
                                              settings.metrics_addr, settings.redis_sentinel_master)
            stack.callback(exporter.stop)
        bot = WikimuseBot(settings, backend, sync_commands=sync_commands, extensions=extensions)
        bot.metrics_exporter = exporter  # tests read the bound port from it
        async with bot:
            yield bot
