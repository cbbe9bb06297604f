"""What the parts of the bot use of the bot itself, as Protocols.

:class:`bot.client.WikimuseBot` implements them; cogs, buttons, delivery and safe mode
are typed against these, never against the concrete client, so the layers that
import-linter checks (``[tool.importlinter]`` in ``pyproject.toml``) hold: the client
imports them, they never import the client.

- :class:`BotClient`: what delivery and safe mode need, discord.py's lookups plus the
  bot's stores.
- :class:`CogHost`: what a cog or a button needs, that plus the job runner and the
  command tree. A new cog's ``setup(bot: CogHost)`` gets it from ``load_extension``.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.db import Database
from bot.jobs import JobBackend
from bot.limits import Limits
from bot.settings import BotSettings
from bot.store import PendingJob, Store
from workers.contracts import Contract


class BotClient(Protocol):
    """The bot as delivery and safe mode see it."""

    settings: BotSettings
    store: Store
    backend: JobBackend
    database: Database | None  # None until setup_hook opened it, and after close()

    @property
    def application_id(self) -> int | None: ...

    def get_guild(self, guild_id: int, /) -> discord.Guild | None: ...

    def get_channel(self, channel_id: int, /) -> Any: ...

    async def fetch_channel(self, channel_id: int, /) -> Any: ...

    async def wait_until_ready(self) -> None: ...


class Runner(Protocol):
    """What commands and buttons use of :class:`bot.delivery.JobRunner`."""

    async def start(self, interaction: discord.Interaction, job: Contract, task_name: str,
                    label: str, note: str = "") -> PendingJob | None: ...

    async def acknowledge(self, interaction: discord.Interaction, task_name: str) -> None: ...

    async def limits_for(self, guild_id: int | None) -> Limits: ...


class CogHost(BotClient, Protocol):
    """The bot as a cog or a button sees it."""

    runner: Runner

    @property
    def tree(self) -> app_commands.CommandTree[Any]: ...

    async def add_cog(self, cog: commands.Cog, /) -> None: ...

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None: ...

    def remove_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None: ...
