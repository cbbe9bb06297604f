"""/compose and /continue: music from the composer models (Red-style cog package: only setup())."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.interfaces import CogHost


async def setup(bot: CogHost) -> None:
    from bot.cogs.music.commands import Music

    await bot.add_cog(Music(bot))
