"""The /wiki command: validate, defer, enqueue a WikiJob, follow it to the article."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.presenters import clip
from bot.validation import check_float, check_int, check_text
from workers import contracts
from workers.contracts import WikiJob

if TYPE_CHECKING:
    from bot.client import WikimuseBot


def wiki_job(seed: str, length: int, temperature: float, rng_seed: int | None = None,
             top_p: float = contracts.WIKI_TOP_P_DEFAULT) -> WikiJob:
    """A validated :class:`WikiJob` (raises :class:`~bot.errors.BadInput` with a clear message)."""
    return WikiJob(
        job_id=contracts.new_job_id(),
        seed=check_text(seed, name="seed", max_chars=contracts.WIKI_SEED_MAX_CHARS),
        length=check_int(length, name="length", low=contracts.WIKI_LENGTH_MIN,
                         high=contracts.WIKI_LENGTH_MAX),
        temperature=check_float(temperature, name="temperature", low=contracts.TEMPERATURE_MIN,
                                high=contracts.TEMPERATURE_MAX),
        top_p=check_float(top_p, name="top-p", low=contracts.TOP_P_MIN, high=contracts.TOP_P_MAX),
        rng_seed=rng_seed,
    )


def wiki_label(job: WikiJob) -> str:
    return f"article “{clip(job.seed.splitlines()[0], 40)}”"


class Wiki(commands.Cog):
    """Wikipedia-style articles from the character-level LSTM."""

    def __init__(self, bot: WikimuseBot) -> None:
        self.bot = bot

    @app_commands.command(name="wiki")
    @app_commands.guild_only()
    @app_commands.describe(
        seed=f"How the article begins (1 to {contracts.WIKI_SEED_MAX_CHARS} characters)",
        length=(f"How many characters to write ({contracts.WIKI_LENGTH_MIN} to "
                f"{contracts.WIKI_LENGTH_MAX}, default {contracts.WIKI_LENGTH_DEFAULT})"),
        temperature=(f"Randomness ({contracts.TEMPERATURE_MIN} to {contracts.TEMPERATURE_MAX}; "
                     f"lower is safer, higher is wilder; default {contracts.WIKI_TEMPERATURE_DEFAULT})"),
        top_p=(f"Keep only the likeliest letters, up to this share ({contracts.TOP_P_MIN} to "
               f"{contracts.TOP_P_MAX}; lower is safer; default {contracts.WIKI_TOP_P_DEFAULT})"),
    )
    async def wiki(
        self,
        interaction: discord.Interaction,
        seed: app_commands.Range[str, 1, contracts.WIKI_SEED_MAX_CHARS],
        length: app_commands.Range[int, contracts.WIKI_LENGTH_MIN, contracts.WIKI_LENGTH_MAX] = (
            contracts.WIKI_LENGTH_DEFAULT),
        temperature: app_commands.Range[float, contracts.TEMPERATURE_MIN, contracts.TEMPERATURE_MAX] = (
            contracts.WIKI_TEMPERATURE_DEFAULT),
        top_p: app_commands.Range[float, contracts.TOP_P_MIN, contracts.TOP_P_MAX] = contracts.WIKI_TOP_P_DEFAULT,
    ) -> None:
        """Write a Wikipedia-style article that starts with your text."""
        job = wiki_job(seed, length, temperature, top_p=top_p)
        await self.bot.runner.start(interaction, job, contracts.TASK_WIKI, wiki_label(job))
