"""/wiki: Wikipedia-style articles from the text model (Red-style cog package: only setup())."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.interfaces import CogHost


async def setup(bot: CogHost) -> None:
    from bot.cogs.wiki.commands import Wiki

    await bot.add_cog(Wiki(bot))
