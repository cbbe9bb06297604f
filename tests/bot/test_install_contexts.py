"""The command tree as synced: /wiki and /compose can be installed by users and run in DMs
and private channels; /config and /challenge stay in guilds; /config is for Manage Server;
the README's invite asks for the permissions the bot uses."""

from __future__ import annotations

import re
from pathlib import Path

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


# What the bot does with each permission it asks for (README, "Inviting the bot").
INVITE_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files",
                      "read_message_history", "create_public_threads", "send_messages_in_threads")


def test_the_readme_invite_asks_for_exactly_the_permissions_the_bot_uses():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    value = discord.Permissions(**dict.fromkeys(INVITE_PERMISSIONS, True)).value
    [url] = re.findall(r"https://discord\.com/oauth2/authorize\?\S+", readme)
    assert url.endswith(f"scope=bot+applications.commands&permissions={value}")
    assert f"permissions integer `{value}`" in " ".join(readme.split())
