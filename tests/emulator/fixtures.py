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
