"""/queue, /cancel, /history, /help, /about and /config (Red-style cog package: only setup())."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.interfaces import CogHost


async def setup(bot: CogHost) -> None:
    from bot.cogs.general.commands import General

    await bot.add_cog(General(bot))
