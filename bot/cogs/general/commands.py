"""Queue visibility, cancelling, history, help, about, and per-guild configuration."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot import safety
from bot.cogs.menus import MenuCog, message_menu
from bot.cogs.music.converters import checked_genre
from bot.errors import BadInput, send_ephemeral
from bot.i18n import Locale, t
from bot.jobs import STATE_QUEUED
from bot.presenters import EMBED_FIELD_VALUE_MAX, NO_MENTIONS, clip, join_within
from bot.results import origin_line, recall_result
from workers import contracts

if TYPE_CHECKING:
    from bot.interfaces import CogHost

log = logging.getLogger(__name__)

HISTORY_LIMIT = 10
MODEL_BLURBS = {
    "wiki_writer": "Character-level stacked LSTM trained on WikiText-2 (Wikipedia articles).",
    **contracts.MUSIC_KINDS,
}  # catalog texts (bot/i18n.py), as is this one:
UNKNOWN_MODEL = "A trained model."
# The highest limits /config sets (its options' Range annotations and its own check).
COOLDOWN_MAX, CONCURRENT_MAX, DAILY_QUOTA_MAX, QUEUE_MAX = 3600, 20, 100000, 1000


def _command_of(task_name: str) -> str:
    spec = contracts.TASKS.get(task_name)
    return spec.command if spec is not None else ""


QUALITY_SUFFIXES = ("_nll", "_bpc", "_perplexity", "_ppl", "_accuracy", "_f1", "_loss")


def _quality(metrics: dict) -> list[str]:
    """Held-out figures from a sidecar: test ones, else validation ones."""
    for prefix in ("test_", "valid_"):
        found = [f"{key} {value:.3f}" for key, value in metrics.items()
                 if key.startswith(prefix) and key.endswith(QUALITY_SUFFIXES)
                 and isinstance(value, int | float) and not isinstance(value, bool)]
        if found:
            return found
    return []


def _shipped_sidecars(model_dir: Path) -> list[tuple[Path, dict]]:
    """(sidecar, contents) of every checkpoint installed: a JSON file next to its .keras file."""
    out = []
    for sidecar in sorted(model_dir.glob("*.json")):
        if not sidecar.with_suffix(".keras").is_file():
            continue  # e.g. the genre classifier's weights, which are no checkpoint
        try:
            meta = json.loads(sidecar.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict):
            out.append((sidecar, meta))
    return out


def _model_summaries(model_dir: Path, locale: Locale = None) -> list[tuple[str, str]]:
    """(name, description) per model, with its measured quality from the sidecars, in
    ``locale``'s language (the figures' names stay as the sidecars write them).

    Music checkpoints share one entry per kind, with each genre's figure: one field per
    checkpoint would pass an embed's 25 fields (six genres by five kinds), and every
    installed model, whatever its file name sorts as, must be listed.
    """
    out = []
    by_kind: dict[str, list[str]] = {}
    for sidecar, meta in _shipped_sidecars(model_dir):
        kind = str(meta.get("kind") or sidecar.stem)
        metrics = {**meta, **(meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {})}
        quality = _quality(metrics)
        if meta.get("genre") and sidecar.stem.startswith("music_"):
            by_kind.setdefault(kind, []).append(
                f"{meta['genre']}" + (f" {quality[0]}" if quality else ""))
            continue
        parts = [t(locale, MODEL_BLURBS.get(kind, MODEL_BLURBS.get(sidecar.stem, UNKNOWN_MODEL)))]
        if meta.get("dataset"):
            parts.append(t(locale, "Data: {dataset}.", dataset=meta["dataset"]))
        if quality:
            parts.append(t(locale, "Measured: {figures}.", figures=", ".join(quality[:3])))
        if isinstance(meta.get("params"), int):
            parts.append(t(locale, "{count:,} parameters.", count=meta["params"]))
        out.append((sidecar.stem, " ".join(parts)))
    for kind, genres in by_kind.items():
        out.append((t(locale, "music: {kind}", kind=kind),
                    f"{t(locale, MODEL_BLURBS.get(kind, UNKNOWN_MODEL))} "
                    + t(locale, "Measured per genre: {genres}.", genres=", ".join(genres))))
    return out


def _genre_defaults(model_dir: Path, locale: Locale = None) -> list[str]:
    """One line per genre: its models, the kind /compose uses by default and why (the
    sidecars' "default", which names the genre's models as the workers offer them:
    a placeholder checkpoint is none of them)."""
    lines = []
    for sidecar, meta in _shipped_sidecars(model_dir):
        default = meta.get("default")
        if sidecar.stem.startswith("music_") and isinstance(default, dict) and default.get("chosen"):
            kinds = default.get("kinds")
            have = ", ".join(k for k in kinds if isinstance(k, str)) if isinstance(kinds, list) else ""
            lines.append(f"**{default.get('genre', meta.get('genre'))}**" + (f" ({have})" if have else "")
                         + f": {default.get('kind')}, {default.get('reason') or t(locale, 'no reason recorded')}")
    return lines


NOT_A_RESULT = "“Variation” works on my results only: right-click an article or a piece I made."
# What each message context menu does, for /help (its name is the menu's).
MENU_HELP = {
    "Continue this MIDI": "/continue on the message's MIDI file",
    "Write more": "a new article that goes on from where the article ended",
    "Variation": "the same request with a new random seed",
}


class General(MenuCog):
    """Everything around the generators."""

    def __init__(self, bot: CogHost) -> None:
        self.bot = bot
        self.menus = (message_menu("Variation", self.variation),)

    async def variation(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """"Variation" on a result: the same job, a new random seed, linked to the result."""
        previous = await recall_result(self.bot.store, message, self.bot.application_id, NOT_A_RESULT)
        job = dataclasses.replace(contracts.job_from_dict(previous.job), job_id=contracts.new_job_id(),
                                  rng_seed=None)
        await self.bot.runner.start(interaction, job, previous.task_name, clip(t(interaction.locale, "variation of {what}", what=previous.label), 100),
                                    origin_line("Variation of", message, interaction.locale))

    # --- /queue and /cancel ---------------------------------------------------

    async def _my_pending(self, user_id: int):
        return [job for job in await self.bot.store.all_pending() if job.user_id == user_id]

    @app_commands.command(name="queue")
    async def queue(self, interaction: discord.Interaction) -> None:
        """Show your jobs that are waiting or running, with their place in the queue."""
        # Reading the jobs and the queues takes Redis round trips: reply first, within 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = interaction.locale
        jobs = await self._my_pending(interaction.user.id)
        if not jobs:
            await interaction.edit_original_response(content=t(locale, "You have no jobs waiting or running."),
                                                     allowed_mentions=NO_MENTIONS)
            return
        queue_of = {job.job_id: contracts.TASK_QUEUES.get(job.task_name, contracts.QUEUE_TEXT) for job in jobs}
        positions: dict[str, int | None] = {}
        for queue in sorted(set(queue_of.values())):  # one read of each queue, not one per job
            positions |= await self.bot.backend.queue_positions(
                [j for j, q in queue_of.items() if q == queue], queue)
        lines = []
        for job in jobs:
            status = await self.bot.backend.status(job.job_id, queue_of[job.job_id], positions)
            if status.state == STATE_QUEUED:
                where = (t(locale, "queued, position {position}", position=status.position)
                         if status.position else t(locale, "starting"))
            elif status.progress is not None:
                where = t(locale, "running, {percent}%", percent=int(status.progress.fraction * 100))
            else:
                where = t(locale, "running" if status.result is None else "finishing")
            lines.append(f"`{job.job_id[:8]}` {_command_of(job.task_name)} "
                         f"{discord.utils.escape_markdown(job.label)}: {where}")
        embed = discord.Embed(title=t(locale, "Your jobs"), description=clip("\n".join(lines), 4096))
        await interaction.edit_original_response(embed=embed, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="cancel")
    @app_commands.describe(job="The job to cancel (start typing to pick one of yours)")
    async def cancel(self, interaction: discord.Interaction, job: str) -> None:
        """Cancel one of your jobs, whether it is waiting or already running."""
        wanted = job.strip().lower()
        mine = [j for j in await self._my_pending(interaction.user.id)
                if wanted and j.job_id.startswith(wanted)]
        if len(mine) != 1:
            raise BadInput("I can't find that job among yours. Use /queue to see them.")
        target = mine[0]
        await self.bot.backend.cancel(target.job_id)
        await send_ephemeral(interaction, t(interaction.locale, "Cancelled `{job}` ({label}).", job=target.job_id[:8],
                                            label=discord.utils.escape_markdown(target.label)))

    @cancel.autocomplete("job")
    async def _cancel_jobs(self, interaction: discord.Interaction,
                           current: str) -> list[app_commands.Choice[str]]:
        jobs = await self._my_pending(interaction.user.id)
        return [app_commands.Choice(name=clip(f"{j.job_id[:8]} {_command_of(j.task_name)} {j.label}", 100),
                                    value=j.job_id)
                for j in jobs if current.lower() in f"{j.job_id} {j.label}".lower()][:25]

    # --- /history ------------------------------------------------------------

    @app_commands.command(name="history")
    async def history(self, interaction: discord.Interaction) -> None:
        """Your last 10 results, with links to jump to them."""
        database = self.bot.database
        if database is None:
            raise RuntimeError("the bot has no database")
        entries = await database.run(database.history.recent, interaction.user.id, limit=HISTORY_LIMIT)
        if not entries:
            await send_ephemeral(interaction, t(interaction.locale, "You have no results yet. Try /wiki or /compose."))
            return
        lines = []
        for e in entries:
            summary = discord.utils.escape_markdown(e.summary or e.job_id[:8])
            line = f"[{summary}]({e.jump_url})" if e.jump_url else summary
            lines.append(f"{discord.utils.format_dt(e.created_at, 'R')} {e.kind.value} {line}")
        embed = discord.Embed(title=t(interaction.locale, "Your last results"), description=clip("\n".join(lines), 4096))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- /help and /about ------------------------------------------------------

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What wikimuse can do, and how to use it."""
        locale = interaction.locale  # command names and descriptions as the user's client shows them
        embed = discord.Embed(title="wikimuse", description=t(locale, (
            "I write Wikipedia-style articles and compose music with neural networks. "
            "Jobs wait in a queue; I edit my reply while they run.")))
        fields, menus = [], []
        for command in sorted(self.bot.tree.get_commands(), key=lambda c: t(locale, c.name)):
            name = t(locale, command.name)
            if isinstance(command, app_commands.Command):
                fields.append((f"/{name}", t(locale, command.description)))
            elif isinstance(command, app_commands.Group):  # e.g. /challenge create, submit, ...
                subs = ", ".join(f"`{t(locale, c.name)}`" for c in command.commands)
                fields.append((f"/{name}", f"{t(locale, command.description)}: {subs}"))
            elif isinstance(command, app_commands.ContextMenu):
                what = MENU_HELP.get(command.name)
                menus.append(f"**{name}**" + (f": {t(locale, what)}" if what else ""))
        if menus:
            fields.append((t(locale, "Right-click a message → Apps"), "\n".join(menus)))
        for name, value in fields[:25]:  # an embed's limit (today there are far fewer)
            embed.add_field(name=name, value=clip(value, 1024), inline=False)
        embed.set_footer(text=t(locale, "Buttons under a result make another take: a new seed, a variation, "
                                        "a longer one, or your own edit of its parameters."))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction) -> None:
        """The models behind wikimuse, what they learned from, and how well they do."""
        locale = interaction.locale
        embed = discord.Embed(title=t(locale, "About wikimuse's models"))
        summaries = _model_summaries(self.bot.settings.model_dir, locale)
        for name, text in summaries[:25]:
            embed.add_field(name=name, value=clip(text, 1024), inline=False)
        if not summaries:
            embed.description = t(locale, "No model checkpoints are installed next to this bot.")
        defaults = _genre_defaults(self.bot.settings.model_dir, locale)
        if defaults:
            embed.description = clip(t(locale, "Each genre's models and its default (`model: best`):") + "\n"
                                     + "\n".join(defaults), 4096)
        embed.set_footer(text=t(locale, "Measured figures: docs/BENCHMARKS.md"))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- /config ---------------------------------------------------------------

    @app_commands.command(name="config")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="A channel to allow or disallow (see channel_action)",
        channel_action="allow: answer in this channel too; disallow: stop; all: answer everywhere",
        default_genre="The genre /compose uses when none is given",
        cooldown="Seconds a user waits between requests (0 to 3600)",
        max_concurrent="Jobs one user may have in flight (1 to 20)",
        daily_quota="Generations per day for this server (1 to 100000)",
        max_queue="Waiting jobs past which new ones are refused (1 to 1000)",
        buttons="Who may use the buttons under a result",
        safe_mode="Mask blocked words in what I post (default: on if the server's filters ask for it)",
        word_action="add or remove blocked_word on this server's blocklist, or list it",
        blocked_word="A word to block (whole words; a trailing * matches any ending)",
    )
    async def config(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        channel_action: Literal["allow", "disallow", "all"] | None = None,
        default_genre: str | None = None,
        cooldown: app_commands.Range[float, 0, COOLDOWN_MAX] | None = None,
        max_concurrent: app_commands.Range[int, 1, CONCURRENT_MAX] | None = None,
        daily_quota: app_commands.Range[int, 1, DAILY_QUOTA_MAX] | None = None,
        max_queue: app_commands.Range[int, 1, QUEUE_MAX] | None = None,
        buttons: Literal["requester", "everyone"] | None = None,
        safe_mode: Literal["on", "off", "default"] | None = None,
        word_action: Literal["add", "remove", "list"] | None = None,
        blocked_word: app_commands.Range[str, safety.WORD_MIN, safety.WORD_MAX + 1] | None = None,
    ) -> None:
        """Server settings: where I answer, the default genre, the limits, safe mode (Manage Server)."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        store = self.bot.store
        current = await store.guild_config(guild_id)
        changes: dict[str, Any] = {}
        if channel_action == "all":
            changes["channels"] = ()
        elif channel_action is not None:
            if channel is None:
                raise BadInput("Pick a channel to allow or disallow.")
            channels = set(current.channels)
            (channels.add if channel_action == "allow" else channels.discard)(channel.id)
            changes["channels"] = tuple(sorted(channels))
        if default_genre is not None:
            changes["default_genre"] = checked_genre(default_genre)
        for key, value, low, high in (("cooldown_seconds", cooldown, 0, COOLDOWN_MAX),
                                      ("max_concurrent_per_user", max_concurrent, 1, CONCURRENT_MAX),
                                      ("daily_quota_per_guild", daily_quota, 1, DAILY_QUOTA_MAX),
                                      ("max_queue_length", max_queue, 1, QUEUE_MAX)):
            if value is not None:
                if not low <= value <= high:
                    raise BadInput("{setting} must be from {low} to {high}.", setting=key.replace("_", " "),
                                   low=low, high=high)
                changes[key] = value
        if buttons is not None:
            changes["buttons"] = buttons
        updated = safety.configure(dataclasses.replace(current, **changes), safe_mode, blocked_word, word_action)
        asked = bool(changes) or safe_mode is not None or word_action in ("add", "remove")
        if asked:
            await store.set_guild_config(guild_id, updated)
        limits = await self.bot.runner.limits_for(guild_id)
        allowed = [f"<#{c}>" for c in updated.channels]
        locale = interaction.locale
        embed = discord.Embed(title=t(locale, "Server settings (updated)" if asked else "Server settings"))
        embed.add_field(name=t(locale, "Channels"), inline=False,
                        value=join_within(allowed, EMBED_FIELD_VALUE_MAX, empty=t(locale, "all channels")))
        embed.add_field(name=t(locale, "Default genre"), value=updated.default_genre or t(locale, "none"))
        embed.add_field(name=t(locale, "Buttons"), value=t(locale, updated.buttons))
        embed.add_field(name=t(locale, "Cooldown"), value=f"{limits.cooldown_seconds:g} s")
        embed.add_field(name=t(locale, "Jobs per user"), value=str(limits.max_concurrent_per_user))
        embed.add_field(name=t(locale, "Daily quota"), value=str(limits.daily_quota_per_guild))
        embed.add_field(name=t(locale, "Max queue"), value=str(limits.max_queue_length))
        for name, value in safety.config_fields(guild_id, interaction.guild, updated,
                                                list_words=word_action == "list"):
            embed.add_field(name=t(locale, name), value=value, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @config.autocomplete("default_genre")
    async def _config_genres(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        from bot.cogs.music.converters import genre_choices

        return [app_commands.Choice(name=label, value=value) for label, value in genre_choices(current)]
