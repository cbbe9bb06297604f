"""Pytest fixtures for the Discord API emulator; conftest files import them by name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.emulator.server import DiscordEmulator


@pytest.fixture
async def discord_emulator() -> AsyncIterator[DiscordEmulator]:
    """A running emulator on a free loopback port, with discord.py pointed at it."""
    emulator = await DiscordEmulator().start()
    with emulator.patch_discord():
        yield emulator
    await emulator.stop()


def free_port() -> int:
    """A loopback TCP port nobody listens on (for "service is down" tests)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
