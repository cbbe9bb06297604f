"""Community coding challenges (Red-style cog package: only setup() lives here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.interfaces import CogHost


async def setup(bot: CogHost) -> None:
    from bot.cogs.challenges.commands import Challenges
    from bot.cogs.challenges.config import ChallengeSettings

    # The bot's settings and its database (the bot opens it before loading cogs).
    if bot.database is None:
        raise RuntimeError("the challenges cog needs the bot's database; load it from setup_hook")
    await bot.add_cog(Challenges(bot, ChallengeSettings.from_settings(bot.settings), bot.database))
