"""The /wiki command: validate, defer, enqueue a WikiJob, follow it to the article."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs.menus import MenuCog, message_menu
from bot.errors import BadInput
from bot.i18n import Locale, t
from bot.presenters import clip, quote_user_text
from bot.results import origin_line, recall_result
from bot.validation import clean_text, fit_alphabet, validated
from workers import contracts
from workers.contracts import WikiJob

if TYPE_CHECKING:
    from bot.interfaces import CogHost


def writable_seed(cleaned: str, locale: Locale = None) -> tuple[str, str]:
    """``(seed, note)``: a (validated) seed written with the characters the writer knows,
    and a line telling the user what changed, in ``locale``'s language ("" when nothing did).

    Raises:
        BadInput: none of it can be written.
    """
    fitted = fit_alphabet(cleaned, contracts.WIKI_ALPHABET)
    if not fitted.text:
        raise BadInput("The writer can't spell any of that seed (emoji and symbols have no letters "
                       "to write them with). Please type some words.")
    text = fitted.text
    changes = [t(locale, "“{typed}” → “{written}”", typed=quote_user_text(typed, 30),
                 written=quote_user_text(written, 30))
               if written.strip() else t(locale, "“{typed}” → a space", typed=quote_user_text(typed, 30))
               for typed, written in fitted.replaced]
    changes += [t(locale, "“{typed}” left out", typed=quote_user_text(typed, 30)) for typed in fitted.dropped]
    if fitted.bidi_controls:
        changes.append(t(locale, "{count} text-direction control(s) removed", count=fitted.bidi_controls))
    if len(text) > contracts.WIKI_SEED_MAX_CHARS:
        text = text[: contracts.WIKI_SEED_MAX_CHARS].rstrip()
        changes.append(t(locale, "cut to {count} characters", count=contracts.WIKI_SEED_MAX_CHARS))
    if not changes:
        return text, ""
    changes = list(dict.fromkeys(changes))  # each change once, in the order typed
    shown = "; ".join(changes[:10]) + (t(locale, "; and {count} more", count=len(changes) - 10)
                                       if len(changes) > 10 else "")
    return text, t(locale, "I changed your seed so the writer can spell it: {changes}.", changes=shown)


def wiki_job(seed: str, length: int, temperature: float, rng_seed: int | None = None,
             top_p: float = contracts.WIKI_TOP_P_DEFAULT, locale: Locale = None) -> tuple[WikiJob, str]:
    """A validated :class:`WikiJob` and the note on its seed (see :func:`writable_seed`).

    Raises:
        BadInput: with a clear message, before anything is enqueued.
    """
    job = validated(WikiJob(job_id=contracts.new_job_id(), seed=clean_text(seed), length=length,
                            temperature=temperature, top_p=top_p, rng_seed=rng_seed))
    text, note = writable_seed(job.seed, locale)
    return dataclasses.replace(job, seed=text), note


def wiki_label(job: WikiJob, locale: Locale = None) -> str:
    """What /queue, a late result and a forum post call the article, in ``locale``'s language."""
    return t(locale, "article “{seed}”", seed=clip(job.seed.splitlines()[0], 40))


NOT_AN_ARTICLE = "“Write more” works on my articles only: right-click an article I wrote with /wiki."


def seed_from_tail(tail: str) -> str:
    """The seed that goes on from an article's end: its last characters, from a word's start."""
    text = tail.strip()[-contracts.WIKI_SEED_MAX_CHARS:]
    space = re.search(r"\s", text)
    if space is not None and len(text) - space.end() >= 20:  # not from the middle of a word
        text = text[space.end():].strip()
    return text


class Wiki(MenuCog):
    """Wikipedia-style articles from the character-level LSTM."""

    def __init__(self, bot: CogHost) -> None:
        self.bot = bot
        self.menus = (message_menu("Write more", self.write_more),)

    async def write_more(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """"Write more" on an article: a new article that starts where that one ended."""
        previous = await recall_result(self.bot.store, message, self.bot.application_id, NOT_AN_ARTICLE)
        if previous.task_name != contracts.TASK_WIKI or not previous.tail.strip():
            raise BadInput(NOT_AN_ARTICLE)
        before = contracts.job_from_dict(previous.job)
        job, note = wiki_job(seed_from_tail(previous.tail), before.length, before.temperature,
                             top_p=before.top_p, locale=interaction.locale)
        lines = "\n".join(line for line in (origin_line("Continuation of", message, interaction.locale), note)
                          if line)
        await self.bot.runner.start(interaction, job, contracts.TASK_WIKI,
                                    clip(t(interaction.locale, "continuation of {what}", what=previous.label), 100),
                                    lines)

    @app_commands.command(name="wiki")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
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
        job, note = wiki_job(seed, length, temperature, top_p=top_p, locale=interaction.locale)
        await self.bot.runner.start(interaction, job, contracts.TASK_WIKI, wiki_label(job, interaction.locale), note)
