"""Community coding challenges (Red-style cog package: only setup() lives here)."""

from __future__ import annotations

from discord.ext import commands


async def setup(bot: commands.Bot) -> None:
    from bot.cogs.challenges.commands import Challenges
    from bot.cogs.challenges.config import ChallengeSettings

    # The bot's settings and its shared database (WikimuseBot opens one before loading cogs).
    settings = ChallengeSettings.from_settings(bot.settings)  # type: ignore[attr-defined]
    await bot.add_cog(Challenges(bot, settings, database=getattr(bot, "database", None)))
