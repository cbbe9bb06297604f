"""Message context menus (right-click a message -> Apps), as the cogs register them.

discord.py cannot make a context menu from a cog method with a decorator: a cog builds
each with :func:`message_menu` in its ``__init__``, lists them in ``menus`` and inherits
:class:`MenuCog`, which adds them to the tree when the cog loads and removes them after.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.interfaces import CogHost

MenuCallback = Callable[[discord.Interaction, discord.Message], Coroutine[Any, Any, None]]


def message_menu(name: str, callback: MenuCallback, *, guild_only: bool = False) -> app_commands.ContextMenu:
    """A message context menu; outside ``guild_only`` ones, usable wherever /wiki is (guilds,
    DMs with the bot, private channels; guild and user installs)."""
    menu = app_commands.ContextMenu(name=name, callback=callback)
    if guild_only:
        return app_commands.guild_only(menu)
    app_commands.allowed_installs(guilds=True, users=True)(menu)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(menu)


class MenuCog(commands.Cog):
    """A cog with message context menus in ``self.menus``."""

    bot: CogHost
    menus: tuple[app_commands.ContextMenu, ...] = ()

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)
