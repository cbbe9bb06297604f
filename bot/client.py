"""The wikimuse client: a commands.Bot that takes its dependencies as arguments.

Extensions (cogs) load in ``setup_hook`` from :data:`EXTENSIONS`; add a cog by
appending its module path there. Application commands are synced only when
asked (``python -m bot --sync``), never on every start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord
import redis.exceptions
from discord import app_commands
from discord.ext import commands

from bot import errors, metrics, views
from bot.db import Database, default_sqlite_url
from bot.delivery import JobRunner, ViewFactory
from bot.i18n import CommandTranslator, t
from bot.jobs import JobBackend
from bot.settings import BotSettings
from bot.store import Store

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.wiki",
    "bot.cogs.music",
    "bot.cogs.general",
    "bot.cogs.challenges",
)


def database_url(settings: BotSettings) -> str:
    """``DATABASE_URL``, else the embedded SQLite file under the data directory."""
    return settings.database_url or default_sqlite_url(settings.data_dir)


def guild_only(command: object) -> bool:
    """Whether a command (or its group) is for guilds only: Discord does not offer it in
    DMs or private channels, so one arriving there was forced through."""
    root = getattr(command, "root_parent", None) or command
    contexts = getattr(root, "allowed_contexts", None)
    if contexts is not None:
        return not (contexts.dm_channel or contexts.private_channel)
    return bool(getattr(root, "guild_only", False))


class WikimuseTree(app_commands.CommandTree["WikimuseBot"]):
    """The command tree: the guild allow-list, guild-only commands kept in guilds, and the
    one error handler."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None and guild_only(interaction.command):
            await self._refuse(interaction, t(interaction.locale, "This command works only in a server."))
            return False
        allowed = self.client.settings.allowed_guild_ids
        if allowed and interaction.guild_id not in allowed:
            await self._refuse(interaction, t(interaction.locale, "wikimuse is not enabled in this server."))
            return False
        return True

    @staticmethod
    async def _refuse(interaction: discord.Interaction, text: str) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            # Discord takes only an autocomplete result (type 8) here: offer nothing.
            try:
                await interaction.response.autocomplete([])
            except discord.HTTPException:
                pass
        else:
            await errors.send_ephemeral(interaction, text)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await errors.handle_app_command_error(interaction, error)


class WikimuseBot(commands.AutoShardedBot):
    """The bot. Everything it talks to is passed in, so tests can build it against the emulator.

    It connects ``settings.shard_ids`` of ``settings.shard_count`` shards (default: as many
    as Discord recommends, all in this process); several processes split the shards, and
    :mod:`bot.leases` decides which one follows each pending job.

    Args:
        settings: the bot's settings.
        backend: the job queue (Celery client + Redis).
        sync_commands: sync application commands in ``setup_hook`` (``--sync``).
        extensions: cog modules to load (default :data:`EXTENSIONS`).
        view_factory: builds the buttons under results (default: :func:`bot.views.result_view`).

    The bot is the one owner of the SQL database (challenges and generation history): it
    opens :func:`database_url` in ``setup_hook``, before the cogs load (they and the
    delivery of results use ``bot.database``), and disposes of it in :meth:`close`.
    """

    def __init__(self, settings: BotSettings, backend: JobBackend, *, sync_commands: bool = False,
                 extensions: Sequence[str] = EXTENSIONS, view_factory: ViewFactory | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=WikimuseTree,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
        )
        self.settings = settings
        self.backend = backend
        self.store = Store(backend.redis)
        self.database: Database | None = None  # opened in setup_hook
        self.runner = JobRunner(self, backend, self.store, settings, view_factory or views.result_view)
        self.sync_commands = sync_commands
        self.extension_names = tuple(extensions)
        self.synced: list[app_commands.AppCommand] = []
        self.metrics_exporter: metrics.Exporter | None = None  # set by bot.runtime.open_bot

    async def setup_hook(self) -> None:
        # Before the cogs, which share it; migrations run here.
        self.database = await asyncio.to_thread(Database.connect, database_url(self.settings))
        await self.tree.set_translator(CommandTranslator())  # German and Spanish commands
        for name in self.extension_names:
            await self.load_extension(name)
        self.add_dynamic_items(*views.DYNAMIC_ITEMS)  # result buttons survive restarts
        if self.sync_commands:
            guild = discord.Object(self.settings.sync_guild_id) if self.settings.sync_guild_id else None
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
            log.info("synced %d application commands%s", len(self.synced),
                     f" to guild {guild.id}" if guild else " globally")
        try:
            await self.runner.leases.renew()  # announce this process's shards first
            await self.runner.resume_pending()
        except redis.exceptions.RedisError as exc:  # start anyway; the lease loop retries
            log.error("cannot read pending jobs from Redis: %s", exc)
        self.runner.spawn(self.runner.keep_leases())

    async def close(self) -> None:
        await self.runner.close()
        await super().close()  # unloads the cogs first, so none uses the database after this
        if self.database is not None:
            self.database.dispose()
            self.database = None
