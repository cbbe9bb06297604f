"""The challenges cog's settings, taken from the bot's settings object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.db import Scoring, default_sqlite_url

DEFAULT_POLL_SECONDS = 30.0
DEFAULT_VOTING = "2d"


@dataclass(frozen=True)
class ChallengeSettings:
    """What the cog needs; ``bot.settings`` supplies it (see :meth:`from_settings`)."""

    database_url: str
    scoring: Scoring = Scoring()
    poll_seconds: float = DEFAULT_POLL_SECONDS
    lease_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: Any) -> ChallengeSettings:
        """Read ``database_url`` (else a SQLite file in ``data_dir``), the points and the poll.

        Attribute names on the bot's settings: ``database_url``, ``data_dir``,
        ``challenge_points_win``, ``challenge_points_runner_up``,
        ``challenge_poll_seconds``. Missing ones take the defaults.
        """
        url = getattr(settings, "database_url", None)
        if not url:
            data_dir = getattr(settings, "data_dir", None) or Path.cwd() / "data"
            url = default_sqlite_url(Path(data_dir))
        return cls(
            database_url=str(url),
            scoring=Scoring(
                win=int(getattr(settings, "challenge_points_win", 3)),
                runner_up=int(getattr(settings, "challenge_points_runner_up", 1)),
            ),
            poll_seconds=float(getattr(settings, "challenge_poll_seconds", DEFAULT_POLL_SECONDS)),
        )
