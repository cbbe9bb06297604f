"""Pytest fixtures for the Discord API emulator; conftest files import them by name."""

from __future__ import annotations

import collections
import json
import os
from collections.abc import AsyncIterator

import pytest

from tests.emulator.server import DiscordEmulator

REPORT_ENV = "EMULATOR_REJECTIONS_REPORT"  # a file: one JSON line per test, its refusals by rule


@pytest.fixture
async def discord_emulator(request: pytest.FixtureRequest) -> AsyncIterator[DiscordEmulator]:
    """A running emulator on a free loopback port, with discord.py pointed at it.

    Every Discord rule is on; the test fails if the bot sent a request Discord would refuse
    as malformed (unless the test set ``expect_invalid``). With ``EMULATOR_REJECTIONS_REPORT``
    set, every request a rule refused is counted there, per test and rule."""
    emulator = await DiscordEmulator().start()
    with emulator.patch_discord():
        yield emulator
    await emulator.stop()
    if os.environ.get(REPORT_ENV):
        counts = collections.Counter(f"{r.rule} {r.status} {r.code}" for r in emulator.rejected())
        with open(os.environ[REPORT_ENV], "a") as report:
            report.write(json.dumps({"test": request.node.nodeid, "requests": len(emulator.requests),
                                     "rejected": counts}) + "\n")
    emulator.assert_no_invalid_requests()


def free_port() -> int:
    """A loopback TCP port nobody listens on (for "service is down" tests)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
