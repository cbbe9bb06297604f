"""/compose and /continue: validate, defer, enqueue, follow to the clip (OGG, MIDI, PNG)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs.menus import MenuCog, message_menu
from bot.cogs.music.converters import (
    MIDI_EXTENSIONS,
    check_midi_attachment,
    checked_genre,
    genre_choices,
    read_midi_upload,
)
from bot.errors import BadInput, BotError
from bot.i18n import Locale, t
from bot.presenters import NO_MENTIONS
from bot.results import origin_line, result_job_id
from bot.validation import clean_text, validated
from workers import contracts
from workers.contracts import ComposeJob, ContinueJob

if TYPE_CHECKING:
    from bot.interfaces import CogHost

MODEL_CHOICES = [app_commands.Choice(name=name, value=name) for name in contracts.MUSIC_MODELS]


def compose_job(genre: str | None, model: str, length: int, tempo: int | None, temperature: float,
                seed: int | None, bars: int | None = None) -> ComposeJob:
    """A validated :class:`ComposeJob` (raises :class:`~bot.errors.BadInput`)."""
    return validated(ComposeJob(
        job_id=contracts.new_job_id(), genre=checked_genre(genre) or "",
        model=clean_text(model or contracts.MUSIC_MODEL_BEST).lower(), seconds=length, bars=bars,
        tempo=tempo, temperature=temperature, rng_seed=seed))


def compose_label(job: ComposeJob, locale: Locale = None) -> str:
    """What /queue, a late result and a forum post call the piece, in ``locale``'s language."""
    return t(locale, "{genre} piece", genre=job.genre.replace("_", " "))


NO_MIDI = ("That message has no MIDI file to continue. Right-click a message with a `.mid` "
           "attachment, or use /continue with your file.")


def midi_attachment(message: discord.Message) -> discord.Attachment:
    """The first MIDI file attached to ``message`` (:class:`BadInput` when there is none)."""
    for attachment in message.attachments:
        if attachment.filename.lower().endswith(MIDI_EXTENSIONS):
            return attachment
    raise BadInput(NO_MIDI)


class Music(MenuCog):
    """Music from the LSTM composer, the seq2seq continuer and the RBM/NADE models."""

    def __init__(self, bot: CogHost) -> None:
        self.bot = bot
        self.menus = (message_menu("Continue this MIDI", self.continue_message, guild_only=True),)

    async def _default_genre(self, guild_id: int | None) -> str | None:
        if guild_id is None:
            return None
        return (await self.bot.store.guild_config(guild_id)).default_genre

    @app_commands.command(name="compose")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(
        genre="The style to compose in (start typing to see the genres)",
        model="Which model composes (best: the best measured one for the genre)",
        length=f"Length in seconds ({contracts.MUSIC_SECONDS_MIN} to {contracts.MUSIC_SECONDS_MAX})",
        bars=f"Length in bars instead of seconds ({contracts.MUSIC_BARS_MIN} to {contracts.MUSIC_BARS_MAX})",
        tempo=f"Beats per minute ({contracts.TEMPO_MIN} to {contracts.TEMPO_MAX}; default: the genre's)",
        temperature=f"Randomness ({contracts.TEMPERATURE_MIN} to {contracts.TEMPERATURE_MAX}, default 1.0)",
        seed=f"Random seed for a repeatable piece (0 to {contracts.RNG_SEED_MAX})",
    )
    @app_commands.choices(model=MODEL_CHOICES)
    async def compose(
        self,
        interaction: discord.Interaction,
        genre: str | None = None,
        model: str = contracts.MUSIC_MODEL_BEST,
        length: app_commands.Range[int, contracts.MUSIC_SECONDS_MIN, contracts.MUSIC_SECONDS_MAX] = (
            contracts.MUSIC_SECONDS_DEFAULT),
        bars: app_commands.Range[int, contracts.MUSIC_BARS_MIN, contracts.MUSIC_BARS_MAX] | None = None,
        tempo: app_commands.Range[int, contracts.TEMPO_MIN, contracts.TEMPO_MAX] | None = None,
        temperature: app_commands.Range[float, contracts.TEMPERATURE_MIN, contracts.TEMPERATURE_MAX] = (
            contracts.MUSIC_TEMPERATURE_DEFAULT),
        seed: app_commands.Range[int, 0, contracts.RNG_SEED_MAX] | None = None,
    ) -> None:
        """Compose a short piece of music: you get audio, a MIDI file and a piano roll."""
        if genre is None:
            genre = await self._default_genre(interaction.guild_id)
        job = compose_job(genre, model, length, tempo, temperature, seed, bars)
        await self.bot.runner.start(interaction, job, contracts.TASK_COMPOSE, compose_label(job, interaction.locale))

    @compose.autocomplete("genre")
    async def _compose_genres(self, interaction: discord.Interaction,
                              current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=label, value=value) for label, value in genre_choices(current)]

    @app_commands.command(name="continue")
    @app_commands.guild_only()
    @app_commands.describe(
        midi="A Standard MIDI File (.mid) to continue",
        bars=(f"How many bars to add ({contracts.MUSIC_BARS_MIN} to {contracts.MUSIC_BARS_MAX}; "
              f"the whole clip stops at {contracts.MUSIC_SECONDS_MAX} s)"),
        genre="The style of the continuation (default: classical piano)",
    )
    async def continue_(
        self,
        interaction: discord.Interaction,
        midi: discord.Attachment,
        bars: app_commands.Range[int, contracts.MUSIC_BARS_MIN, contracts.MUSIC_BARS_MAX] = (
            contracts.CONTINUE_BARS_DEFAULT),
        genre: str | None = None,
    ) -> None:
        """Continue your MIDI file: you get your piece plus the continuation."""
        await self._continue(interaction, midi, bars, genre)

    async def continue_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """"Continue this MIDI": /continue on the first MIDI file of a message (one of my clips
        goes on in its own genre)."""
        midi = midi_attachment(message)
        genre = None
        job_id = result_job_id(message, self.bot.application_id)
        if job_id is not None:
            previous = await self.bot.store.recall_job(job_id)
            genre = previous.job.get("genre") if previous is not None else None
        await self._continue(interaction, midi, contracts.CONTINUE_BARS_DEFAULT, genre,
                             note=origin_line("Continuation of", message, interaction.locale))

    async def _continue(self, interaction: discord.Interaction, midi: discord.Attachment, bars: int,
                        genre: str | None, note: str = "") -> None:
        # The options are checked before the file is downloaded; the file fills the job after.
        options = validated(ContinueJob(job_id=contracts.new_job_id(), midi_b64="", bars=bars,
                                        genre=checked_genre(genre, required=False), filename=midi.filename[:100]))
        check_midi_attachment(midi, interaction.filesize_limit)
        # The download and the queue's checks take time: reply first ("thinking…"), within 3 s.
        await self.bot.runner.acknowledge(interaction, contracts.TASK_CONTINUE)
        try:
            data = await read_midi_upload(midi, interaction.filesize_limit)
            job = dataclasses.replace(options, midi_b64=contracts.b64encode(data))
            label = t(interaction.locale, "continuation of {what}", what=midi.filename[:40])
            await self.bot.runner.start(interaction, job, contracts.TASK_CONTINUE, label, note)
        except BotError as exc:  # the reply is deferred: the refusal replaces "thinking…"
            await interaction.edit_original_response(content=exc.localized(interaction.locale), allowed_mentions=NO_MENTIONS)

    @continue_.autocomplete("genre")
    async def _continue_genres(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=label, value=value) for label, value in genre_choices(current)]
