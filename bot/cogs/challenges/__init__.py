"""Community coding challenges (Red-style cog package: only setup() lives here)."""

from __future__ import annotations

from discord.ext import commands


async def setup(bot: commands.Bot) -> None:
    from bot.cogs.challenges.commands import Challenges
    from bot.cogs.challenges.config import ChallengeSettings

    settings = ChallengeSettings.from_settings(getattr(bot, "settings", None))
    await bot.add_cog(Challenges(bot, settings, database=getattr(bot, "database", None)))
