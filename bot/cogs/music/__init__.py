"""/compose and /continue: music from the composer models (Red-style cog package: only setup())."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.client import WikimuseBot


async def setup(bot: WikimuseBot) -> None:
    from bot.cogs.music.commands import Music

    await bot.add_cog(Music(bot))
