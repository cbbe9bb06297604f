"""The challenges cog's settings, taken from the bot's settings object."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import Scoring, default_sqlite_url
from bot.settings import BotSettings

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
    def from_settings(cls, settings: BotSettings) -> ChallengeSettings:
        """Take the URL (``DATABASE_URL``, else SQLite in the data directory), points and poll.

        ``BotSettings`` validated the values when it read them from the environment.
        """
        return cls(
            database_url=settings.database_url or default_sqlite_url(settings.data_dir),
            scoring=Scoring(
                win=settings.challenge_points_win,
                runner_up=settings.challenge_points_runner_up,
            ),
            poll_seconds=settings.challenge_poll_seconds,
        )
