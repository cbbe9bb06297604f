"""/wiki: Wikipedia-style articles from the text model (Red-style cog package: only setup())."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.client import WikimuseBot


async def setup(bot: WikimuseBot) -> None:
    from bot.cogs.wiki.commands import Wiki

    await bot.add_cog(Wiki(bot))
