"""Persistent buttons under every result: Regenerate, Variation, Longer/Continue, another genre.

The custom_ids carry the job id (``wm:<action>:<job id>``), and the job's parameters
are kept in Redis, so the buttons work after a bot restart (discord.py
``DynamicItem`` s, registered once in ``setup_hook``). Only the requester may use
them unless the guild's ``/config buttons:everyone`` allows everyone.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING

import discord

from bot import errors
from bot.errors import BadInput, BotError, NotAllowed
from bot.store import PendingJob
from workers import contracts
from workers.contracts import ComposeJob, ContinueJob, ErrorResult, WikiJob

if TYPE_CHECKING:
    from bot.interfaces import CogHost
    from bot.jobs import Result

log = logging.getLogger(__name__)

JOB_ID = r"[0-9a-f]{32}"
BUTTONS = {"regen": ("Regenerate", "🎲"), "vary": ("Variation", "🎛️"), "longer": ("Longer", "➕")}


def _shift_temperature(t: float) -> float:
    """A noticeably different temperature within bounds."""
    up = round(t * 1.25, 2)
    return up if up <= contracts.TEMPERATURE_MAX else round(max(contracts.TEMPERATURE_MIN, t * 0.75), 2)


def derive_job(previous: PendingJob, action: str, genre: str | None = None
               ) -> tuple[WikiJob | ComposeJob | ContinueJob, str]:
    """The job a button asks for, built from the job behind a result, and its /queue label."""
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
        try:
            contracts.check_genre(genre)
        except contracts.InvalidJob as exc:
            raise BadInput(str(exc)) from None
        new_job = dataclasses.replace(job, job_id=new_id, genre=genre, rng_seed=None)
    else:
        raise BadInput("That button doesn't apply to this result.")
    verb = {"regen": "regenerated", "vary": "variation of", "longer": "longer",
            "genre": f"{genre} version of"}[action]
    return new_job, f"{verb} {previous.label}"[:100]


async def rerun(interaction: discord.Interaction, job_id: str, action: str, genre: str | None = None) -> None:
    """Handle a click: check who clicked, derive the job, and run it like a new command."""
    bot: CogHost = interaction.client  # type: ignore[assignment]
    try:
        previous = await bot.store.recall_job(job_id)
        if previous is None:
            raise BadInput("This result is too old to build on. Please run the command again.")
        if previous.user_id != interaction.user.id:
            config = await bot.store.guild_config(interaction.guild_id)
            if config.buttons != "everyone":
                raise NotAllowed(f"Only <@{previous.user_id}> can use these buttons here. "
                                 "Run the command yourself to get your own.")
        job, label = derive_job(previous, action, genre)
        await bot.runner.start(interaction, job, previous.task_name, label)
    except BotError as exc:
        await errors.send_ephemeral(interaction, exc.user_message)
    except Exception:
        log.exception("button %s failed", action)
        await errors.send_ephemeral(interaction, errors.GENERIC_MESSAGE)


class ResultButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"wm:(?P<action>regen|vary|longer):(?P<job>{JOB_ID})"):
    """Regenerate / Variation / Longer under a result."""

    def __init__(self, action: str, job_id: str, label: str | None = None) -> None:
        text, emoji = BUTTONS[action]
        super().__init__(discord.ui.Button(label=label or text, emoji=emoji, style=discord.ButtonStyle.secondary,
                                           custom_id=f"wm:{action}:{job_id}"))
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ResultButton:
        return cls(match["action"], match["job"], label=item.label)

    async def callback(self, interaction: discord.Interaction) -> None:
        await rerun(interaction, self.job_id, self.action)


class GenreSelect(discord.ui.DynamicItem[discord.ui.Select], template=rf"wm:genre:(?P<job>{JOB_ID})"):
    """"The same, in another genre" under a music result."""

    def __init__(self, job_id: str, current: str | None = None) -> None:
        options = [discord.SelectOption(label=name.replace("_", " "), value=name,
                                        description=contracts.GENRE_DESCRIPTIONS[name][:100])
                   for name in contracts.GENRE_NAMES if name != current]
        super().__init__(discord.ui.Select(custom_id=f"wm:genre:{job_id}", options=options,
                                           placeholder="The same, in another genre…"))
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
    view.add_item(ResultButton("regen", pending.job_id))
    view.add_item(ResultButton("vary", pending.job_id))
    view.add_item(ResultButton("longer", pending.job_id, label=spec.longer_label))
    if spec.genres:
        view.add_item(GenreSelect(pending.job_id, getattr(result, "genre", None)))
    return view


DYNAMIC_ITEMS = (ResultButton, GenreSelect)
