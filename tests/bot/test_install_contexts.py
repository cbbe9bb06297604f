"""The command tree as synced: /wiki and /compose can be installed by users and run in DMs
and private channels; /config and /challenge stay in guilds; /config is for Manage Server."""

from __future__ import annotations

import discord
import pytest

from tests.emulator.harness import running_bot

pytestmark = pytest.mark.timeout(120)

GUILD_INSTALL, USER_INSTALL = 0, 1
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2


async def test_the_synced_tree_carries_install_types_contexts_and_default_permissions(
        discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url):
        synced = {c["name"]: c for c in discord_emulator.commands[None]}
    for name in ("wiki", "compose"):
        assert sorted(synced[name]["integration_types"]) == [GUILD_INSTALL, USER_INSTALL], name
        assert sorted(synced[name]["contexts"]) == [GUILD, BOT_DM, PRIVATE_CHANNEL], name
        assert synced[name]["default_member_permissions"] is None, name
    for name in ("config", "challenge"):
        assert synced[name]["contexts"] == [GUILD], name
        assert synced[name].get("integration_types") in (None, [GUILD_INSTALL]), name
    manage_guild = discord.Permissions(manage_guild=True).value
    assert int(synced["config"]["default_member_permissions"]) == manage_guild
