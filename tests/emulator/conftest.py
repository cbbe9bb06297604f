from tests.emulator.fixtures import discord_emulator  # noqa: F401
