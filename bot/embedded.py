"""Embedded mode: run ``python -m workers.embedded serve`` as a child and use its Redis.

With no ``REDIS_URL`` the bot still goes through the production path (Celery on
Redis, a real worker process); only the process layout differs. The bot never
imports the worker code: it starts the stack as a subprocess, reads the one line
``REDIS_URL=<url>`` it prints when ready, and keeps its stdin open (the stack
stops when stdin reaches EOF, so it dies with the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

READY_PREFIX = "REDIS_URL="


class EmbeddedStartError(RuntimeError):
    """The embedded stack exited or did not report ready in time."""


class EmbeddedBackend:
    """``async with EmbeddedBackend() as redis_url: ...`` runs the stack for the block."""

    def __init__(self, *, env: Mapping[str, str] | None = None, start_timeout: float = 180.0) -> None:
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        self.proc: asyncio.subprocess.Process | None = None
        self.redis_url: str | None = None

    async def __aenter__(self) -> str:
        env = {**os.environ, **self.env}
        env.pop("REDIS_URL", None)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workers.embedded", "serve",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env)
        try:
            self.redis_url = await asyncio.wait_for(self._read_url(), self.start_timeout)
        except BaseException:
            await self.stop()
            raise
        log.info("embedded stack ready (pid %d)", self.proc.pid)
        return self.redis_url

    async def _read_url(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                code = await self.proc.wait()
                raise EmbeddedStartError(
                    f"python -m workers.embedded serve exited with {code} before it was ready")
            text = line.decode(errors="replace").strip()
            if text.startswith(READY_PREFIX):
                return text[len(READY_PREFIX):]

    async def stop(self, timeout: float = 60.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
