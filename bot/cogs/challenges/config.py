"""The challenges cog's settings, taken from the bot's settings object."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import Scoring
from bot.settings import BotSettings

DEFAULT_POLL_SECONDS = 30.0
DEFAULT_VOTING = "2d"


@dataclass(frozen=True)
class ChallengeSettings:
    """What the cog needs; ``bot.settings`` supplies it (see :meth:`from_settings`)."""

    scoring: Scoring = Scoring()
    poll_seconds: float = DEFAULT_POLL_SECONDS
    lease_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: BotSettings) -> ChallengeSettings:
        """Take the points and the poll interval.

        ``BotSettings`` validated the values when it read them from the environment.
        """
        return cls(
            scoring=Scoring(
                win=settings.challenge_points_win,
                runner_up=settings.challenge_points_runner_up,
            ),
            poll_seconds=settings.challenge_poll_seconds,
        )
