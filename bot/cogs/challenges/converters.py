"""Deadline and duration parsing for /challenge create.

Accepted deadlines: a duration from now (``90m``, ``2d12h``, ``1w``), an ISO date
and time (``2026-12-01 18:00``, UTC unless it carries an offset), a Unix timestamp,
or a pasted Discord timestamp (``<t:1764612000:F>``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import discord

from bot.cogs.challenges.errors import BadDeadline

MAX_HORIZON = timedelta(days=365)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^\s*(?:\d{1,6}\s*[wdhms]\s*)+$", re.IGNORECASE)
_PART = re.compile(r"(\d{1,6})\s*([wdhms])", re.IGNORECASE)
_DISCORD_TIMESTAMP = re.compile(r"^<t:(-?\d{1,12})(?::[tTdDfFR])?>$")


def parse_duration(text: str) -> timedelta:
    """``"1d12h"`` -> 36 hours.

    Raises:
        BadDeadline: not a duration, zero, or longer than a year.
    """
    if not _DURATION.match(text or ""):
        raise BadDeadline(
            "`{text}` is not a duration: use e.g. `90m`, `2d`, `1w2d`.",
            text=discord.utils.escape_markdown(text[:40]),
        )
    seconds = sum(int(n) * _UNITS[unit.lower()] for n, unit in _PART.findall(text))
    if seconds <= 0:
        raise BadDeadline("A duration must be longer than zero.")
    if seconds > MAX_HORIZON.total_seconds():
        raise BadDeadline("A duration must be at most a year.")
    return timedelta(seconds=seconds)


def parse_deadline(text: str, now: datetime) -> datetime:
    """A deadline as an aware UTC datetime, strictly after ``now``.

    Raises:
        BadDeadline: unreadable, in the past, or more than a year ahead.
    """
    raw = (text or "").strip()
    when: datetime | None = None
    if _DURATION.match(raw):
        when = now + parse_duration(raw)
    elif match := _DISCORD_TIMESTAMP.match(raw):
        when = _from_unix(int(match.group(1)))
    elif raw.isdigit():
        when = _from_unix(int(raw))
    else:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if when is None:
        shown = discord.utils.escape_markdown(raw[:40])
        raise BadDeadline(
            "`{shown}` is not a deadline: use a duration (`3d`), a UTC date "
            "(`2026-12-01 18:00`) or a Discord timestamp.", shown=shown,
        )
    if when <= now:
        raise BadDeadline("The deadline must be in the future.")
    if when - now > MAX_HORIZON:
        raise BadDeadline("The deadline must be within a year.")
    return when


def _from_unix(seconds: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
