"""Permission checks for the admin subcommands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


def is_challenge_admin(interaction: discord.Interaction) -> bool:
    """Manage Server, in a guild. Raises MissingPermissions otherwise."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


def challenge_admin() -> Callable[[T], T]:
    """Decorator: only members with Manage Server run this subcommand."""
    return app_commands.check(is_challenge_admin)
