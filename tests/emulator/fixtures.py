"""Pytest fixtures for the Discord API emulator; conftest files import them by name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.emulator.server import DiscordEmulator


@pytest.fixture
async def discord_emulator() -> AsyncIterator[DiscordEmulator]:
    """A running emulator on a free loopback port, with discord.py pointed at it.

    Every Discord rule is on; the test fails if the bot sent a request Discord would refuse
    as malformed (unless the test set ``expect_invalid``)."""
    emulator = await DiscordEmulator().start()
    with emulator.patch_discord():
        yield emulator
    await emulator.stop()
    emulator.assert_no_invalid_requests()


def free_port() -> int:
    """A loopback TCP port nobody listens on (for "service is down" tests)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
