"""Which job a wikimuse result came from, read off the result's message.

Every result carries its job id in the custom_ids of its buttons
(``wm:<action>:<job id>``, see :mod:`bot.views`), and the job's parameters stay in
Redis after delivery (:meth:`bot.store.Store.remember_job`). The buttons, the edit
modal and the message context menus ("Write more", "Variation") all find the job
behind a result this way.
"""

from __future__ import annotations

import re

import discord

from bot.errors import BadInput
from bot.i18n import Locale, t
from bot.store import PendingJob, Store

JOB_ID = r"[0-9a-f]{32}"
_RESULT_CUSTOM_ID = re.compile(rf"^wm:[a-z]+:(?P<job>{JOB_ID})$")
TOO_OLD = "This result is too old to build on. Please run the command again."


def result_job_id(message: discord.Message, application_id: int | None) -> str | None:
    """The id of the job behind ``message`` when it is a result this bot posted, else None."""
    if application_id is None or message.author.id != application_id:
        return None
    for row in message.components:
        for child in getattr(row, "children", ()):
            found = _RESULT_CUSTOM_ID.match(getattr(child, "custom_id", None) or "")
            if found:
                return found["job"]
    return None


async def recall_result(store: Store, message: discord.Message, application_id: int | None,
                        not_a_result: str) -> PendingJob:
    """The job behind the result ``message``; :class:`BadInput` saying ``not_a_result`` when it is
    none of this bot's results, or that it is too old when its job is no longer kept."""
    job_id = result_job_id(message, application_id)
    if job_id is None:
        raise BadInput(not_a_result)
    previous = await store.recall_job(job_id)
    if previous is None:
        raise BadInput(TOO_OLD)
    return previous


def origin_line(relation: str, message: discord.Message | None, locale: Locale = None) -> str:
    """``Variation of <link>``: the line above a result that links the one it came from
    (``relation`` in ``locale``'s language)."""
    return f"{t(locale, relation)} {message.jump_url}" if message is not None else ""
