"""Persistent buttons under every result: Regenerate, Variation, Longer/Continue, Edit, another genre.

The custom_ids carry the job id (``wm:<action>:<job id>``), and the job's parameters
are kept in Redis, so the buttons work after a bot restart (discord.py
``DynamicItem`` s, registered once in ``setup_hook``). Only the requester may use
them unless the guild's ``/config buttons:everyone`` allows everyone. Edit opens a
modal prefilled with the job's parameters; what it submits runs as a new job. Each
new result links the one it came from (:func:`bot.results.origin_line`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot import errors
from bot.errors import BadInput, BotError, NotAllowed
from bot.i18n import Locale, Term, t
from bot.presenters import quote_user_text
from bot.results import JOB_ID, TOO_OLD, origin_line
from bot.store import PendingJob
from bot.validation import clean_text, fit_alphabet, refusing, validated
from workers import contracts
from workers.contracts import ComposeJob, ContinueJob, ErrorResult, WikiJob

if TYPE_CHECKING:
    from bot.interfaces import CogHost
    from bot.jobs import Result

log = logging.getLogger(__name__)

BUTTONS = {"regen": ("Regenerate", "🎲"), "vary": ("Variation", "🎛️"), "longer": ("Longer", "➕"),
           "edit": ("Edit", "✏️")}
# The line above a new result, before the link to the one it came from.
ORIGINS = {"regen": "Regenerated from", "vary": "Variation of",
           "longer": "Longer version of", "genre": "Another genre of", "edit": "Edited from"}
MODAL_TIMEOUT = 10 * 60.0


def _shift_temperature(t: float) -> float:
    """A noticeably different temperature within bounds."""
    up = round(t * 1.25, 2)
    return up if up <= contracts.TEMPERATURE_MAX else round(max(contracts.TEMPERATURE_MIN, t * 0.75), 2)


def derive_job(previous: PendingJob, action: str, genre: str | None = None, locale: Locale = None
               ) -> tuple[WikiJob | ComposeJob | ContinueJob, str]:
    """The job a button asks for, built from the job behind a result, and its /queue label (in
    ``locale``'s language, the clicker's)."""
    job = contracts.job_from_dict(previous.job)
    spec = contracts.task_spec(previous.task_name)
    new_id = contracts.new_job_id()
    if action == "regen":
        new_job = dataclasses.replace(job, job_id=new_id, rng_seed=None)
    elif action == "vary":
        new_job = dataclasses.replace(job, job_id=new_id, temperature=_shift_temperature(float(job.temperature)))
    elif action == "longer":
        new_job = dataclasses.replace(job.longer(), job_id=new_id)
    elif action == "genre" and spec.genres:
        with refusing():
            contracts.check_genre(genre)
        new_job = dataclasses.replace(job, job_id=new_id, genre=genre, rng_seed=None)
    else:
        raise BadInput("That button doesn't apply to this result.")
    label = {"regen": "regenerated {what}", "vary": "variation of {what}", "longer": "longer {what}",
             "genre": "{genre} version of {what}"}[action]
    return new_job, t(locale, label, genre=genre, what=previous.label)[:100]


async def recall_for(interaction: discord.Interaction, job_id: str) -> PendingJob:
    """The job behind a result, when ``interaction.user`` may build on it here (the requester,
    or anyone where ``/config buttons:everyone``); :class:`BotError` otherwise."""
    bot: CogHost = interaction.client  # type: ignore[assignment]
    previous = await bot.store.recall_job(job_id)
    if previous is None:
        raise BadInput(TOO_OLD)
    if previous.user_id != interaction.user.id:
        config = await bot.store.guild_config(interaction.guild_id)
        if config.buttons != "everyone":
            raise NotAllowed("Only <@{user_id}> can use these buttons here. "
                             "Run the command yourself to get your own.", user_id=previous.user_id)
    return previous


async def rerun(interaction: discord.Interaction, job_id: str, action: str, genre: str | None = None) -> None:
    """Handle a click: check who clicked, derive the job, and run it like a new command,
    linking the result it came from."""
    bot: CogHost = interaction.client  # type: ignore[assignment]
    try:
        previous = await recall_for(interaction, job_id)
        job, label = derive_job(previous, action, genre, interaction.locale)
        await bot.runner.start(interaction, job, previous.task_name, label, origin_line(ORIGINS[action], interaction.message,
                                                                           interaction.locale))
    except BotError as exc:
        await errors.send_ephemeral(interaction, exc.localized(interaction.locale))
    except Exception:
        log.exception("button %s failed", action)
        await errors.send_ephemeral(interaction, t(interaction.locale, errors.GENERIC_MESSAGE))


# --- Edit: a modal prefilled with the job's parameters --------------------------------


@dataclass(frozen=True)
class Field:
    """One parameter the edit modal shows: the job's field, its label and how to read it."""

    name: str
    label: str  # at most 45 characters (Discord's limit for a text input's label)
    parse: str = "int"  # "int", "float", "text" or "genre"
    required: bool = True
    max_length: int = 12


def edit_fields(job: WikiJob | ComposeJob | ContinueJob) -> list[Field]:
    """The (at most five) parameters of ``job`` the modal lets a user change."""
    temperature = Field("temperature", f"Temperature ({contracts.TEMPERATURE_MIN} to {contracts.TEMPERATURE_MAX})",
                        "float")
    rng_seed = Field("rng_seed", "Random seed (blank: a new one)", required=False)
    if isinstance(job, WikiJob):
        return [Field("seed", "Seed text", "text", max_length=contracts.WIKI_SEED_MAX_CHARS),
                Field("length", f"Length ({contracts.WIKI_LENGTH_MIN} to {contracts.WIKI_LENGTH_MAX:,} characters)"),
                temperature, Field("top_p", f"Top-p ({contracts.TOP_P_MIN} to {contracts.TOP_P_MAX})", "float"),
                rng_seed]
    if isinstance(job, ComposeJob):
        length = (Field("bars", f"Length in bars ({contracts.MUSIC_BARS_MIN} to {contracts.MUSIC_BARS_MAX})")
                  if job.bars is not None else
                  Field("seconds", f"Length in seconds ({contracts.MUSIC_SECONDS_MIN} to {contracts.MUSIC_SECONDS_MAX})"))
        return [Field("genre", "Genre", "genre", max_length=40), length,
                Field("tempo", "Tempo in bpm (blank: the genre's)", required=False), temperature, rng_seed]
    return [Field("genre", "Genre (blank: classical piano)", "genre", required=False, max_length=40),
            Field("bars", f"Bars to add ({contracts.MUSIC_BARS_MIN} to {contracts.MUSIC_BARS_MAX})"),
            temperature, rng_seed]


def _prefill(value: object) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _parsed(item: Field, raw: str) -> object:
    """What the user typed in ``item``, as the job's field takes it (:class:`BadInput` if unreadable)."""
    if item.parse == "text":
        fitted = fit_alphabet(raw, contracts.WIKI_ALPHABET)  # the writer spells nothing else
        if not fitted.text:
            raise BadInput("The writer can't spell any of that seed. Please type some words.")
        return fitted.text
    if item.parse == "genre":
        return contracts.genre_key(raw)
    try:
        number = float(raw.replace(",", "")) if item.parse == "float" else int(raw.replace(",", ""))
    except ValueError:
        raise BadInput("{label}: “{value}” is not a number." if item.parse == "float"
                       else "{label}: “{value}” is not a whole number.", label=Term(item.label),
                       value=quote_user_text(raw, 30)) from None
    if item.name == "seconds":  # the contract takes whole seconds as a number
        return float(number)
    return number


def edited_job(previous: PendingJob, values: dict[str, str]) -> WikiJob | ComposeJob | ContinueJob:
    """The job behind a result with the parameters a user typed in the modal, validated by
    its contract (:class:`BadInput` with the contract's message when out of bounds)."""
    job = contracts.job_from_dict(previous.job)
    changes: dict[str, object] = {}
    for item in edit_fields(job):
        raw = clean_text(values.get(item.name))
        if not raw and item.required:
            raise BadInput("{label} can't be empty.", label=Term(item.label))
        changes[item.name] = _parsed(item, raw) if raw else None
    return validated(dataclasses.replace(job, job_id=contracts.new_job_id(), **changes))


class EditModal(discord.ui.Modal):
    """"Edit and regenerate": the job's parameters, prefilled; submitting runs the edited job."""

    def __init__(self, previous: PendingJob, source: discord.Message | None,
                 locale: discord.Locale | str | None = None) -> None:
        super().__init__(title=t(locale, "Edit and regenerate"), timeout=MODAL_TIMEOUT,
                         custom_id=f"wm:edited:{previous.job_id}")
        self.previous = previous
        self.source = source
        job = contracts.job_from_dict(previous.job)
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for item in edit_fields(job):
            default = _prefill(getattr(job, item.name))[:item.max_length]
            text_input: discord.ui.TextInput = discord.ui.TextInput(
                label=t(locale, item.label), custom_id=f"wm:field:{item.name}", default=default or None,
                required=item.required, max_length=item.max_length,
                style=discord.TextStyle.paragraph if item.parse == "text" else discord.TextStyle.short)
            self.add_item(text_input)
            self.inputs[item.name] = text_input

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot: CogHost = interaction.client  # type: ignore[assignment]
        try:
            job = edited_job(self.previous, {name: item.value for name, item in self.inputs.items()})
            await bot.runner.start(interaction, job, self.previous.task_name,
                                   t(interaction.locale, "edited {what}", what=self.previous.label)[:100],
                                   origin_line(ORIGINS["edit"], self.source, interaction.locale))
        except BotError as exc:
            await errors.send_ephemeral(interaction, exc.localized(interaction.locale))
        except Exception:
            log.exception("the edit modal failed")
            await errors.send_ephemeral(interaction, t(interaction.locale, errors.GENERIC_MESSAGE))


async def open_editor(interaction: discord.Interaction, job_id: str) -> None:
    """Edit under a result: the modal, when the user may build on this result."""
    try:
        previous = await recall_for(interaction, job_id)
        await interaction.response.send_modal(EditModal(previous, interaction.message, interaction.locale))
    except BotError as exc:
        await errors.send_ephemeral(interaction, exc.localized(interaction.locale))


class ResultButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"wm:(?P<action>regen|vary|longer|edit):(?P<job>{JOB_ID})"):
    """Regenerate / Variation / Longer / Edit under a result."""

    def __init__(self, action: str, job_id: str, label: str | None = None) -> None:
        text, emoji = BUTTONS[action]  # ``label``: as delivered, in the requester's language
        super().__init__(discord.ui.Button(label=label or text, emoji=emoji, style=discord.ButtonStyle.secondary,
                                           custom_id=f"wm:{action}:{job_id}"))
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ResultButton:
        return cls(match["action"], match["job"], label=item.label)

    async def callback(self, interaction: discord.Interaction) -> None:
        if self.action == "edit":
            await open_editor(interaction, self.job_id)
        else:
            await rerun(interaction, self.job_id, self.action)


class GenreSelect(discord.ui.DynamicItem[discord.ui.Select], template=rf"wm:genre:(?P<job>{JOB_ID})"):
    """"The same, in another genre" under a music result."""

    def __init__(self, job_id: str, current: str | None = None, locale: str = "") -> None:
        options = [discord.SelectOption(label=name.replace("_", " "), value=name,
                                        description=contracts.GENRE_DESCRIPTIONS[name][:100])
                   for name in contracts.GENRE_NAMES if name != current]
        super().__init__(discord.ui.Select(custom_id=f"wm:genre:{job_id}", options=options,
                                           placeholder=t(locale, "The same, in another genre…")))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str], /) -> GenreSelect:
        return cls(match["job"])

    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        await rerun(interaction, self.job_id, "genre", values[0] if values else None)


def result_view(pending: PendingJob, result: Result) -> discord.ui.View | None:
    """The buttons for a delivered result (none under errors)."""
    if isinstance(result, ErrorResult):
        return None
    spec = contracts.task_spec(pending.task_name)
    view = discord.ui.View(timeout=None)
    locale = pending.locale  # the requester's language
    for action in ("regen", "vary", "longer", "edit"):
        label = spec.longer_label if action == "longer" else BUTTONS[action][0]
        view.add_item(ResultButton(action, pending.job_id, label=t(locale, label)))
    if spec.genres:
        view.add_item(GenreSelect(pending.job_id, getattr(result, "genre", None), locale))
    return view


DYNAMIC_ITEMS = (ResultButton, GenreSelect)
