"""/wiki and /compose in a DM with the bot and in a private channel (the user-installed
app), against the emulator: what Discord sends there, the per-user quota, and guild-only
commands kept out. No worker runs: these are about the interaction, not the result."""

from __future__ import annotations

import pytest

from tests.emulator import payloads as p
from tests.emulator.harness import running_bot
from tests.emulator.server import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    DiscordEmulator,
    EmulatorError,
    InteractionRecord,
)

pytestmark = pytest.mark.timeout(120)


async def answered(emulator: DiscordEmulator, record: InteractionRecord) -> InteractionRecord:
    return await emulator.wait_for_callback(record, timeout=5)


async def test_dm_and_private_channel_interactions_reach_the_bot_as_discord_sends_them(
        discord_emulator, scratch_redis_url, tmp_path):
    emulator = discord_emulator
    alice, bob = emulator.add_user("alice"), emulator.add_user("bob")
    group = emulator.add_private_channel(alice, bob)
    async with running_bot(emulator, redis_url=scratch_redis_url, data_dir=tmp_path, daily_quota_per_guild=1):
        in_dm = await answered(emulator, await emulator.invoke("wiki", {"seed": "The fox"},
                                                               user=alice, dm=True))
        in_group = await answered(emulator, await emulator.invoke(
            "compose", {"genre": "jazz"}, user=bob, channel=group))
        for record, context in ((in_dm, p.CONTEXT_BOT_DM), (in_group, p.CONTEXT_PRIVATE_CHANNEL)):
            payload = record.payload
            assert payload["context"] == context
            assert "guild_id" not in payload and "member" not in payload
            assert payload["user"]["id"] == str(record.user_id)
            assert payload["authorizing_integration_owners"] == {"1": str(record.user_id)}
            assert record.callback_type == CALLBACK_DEFERRED_MESSAGE and not record.ephemeral
            message = emulator.original_message(record)
            assert message["channel_id"] == str(record.channel_id) and "guild_id" not in message
        assert int(in_dm.payload["app_permissions"]) == p.DM_PERMISSIONS
        assert int(in_group.payload["app_permissions"]) == p.PRIVATE_CHANNEL_APP_PERMISSIONS

        # The daily quota outside a guild is each user's own: alice's second job is refused,
        # bob still has his in the DM, and the guild's quota is untouched.
        again = await answered(emulator, await emulator.invoke("wiki", {"seed": "The fox"},
                                                               user=alice, dm=True))
        assert again.callback_type == CALLBACK_MESSAGE and again.ephemeral
        assert "You have used your 1 generations" in again.callback_json["data"]["content"]
        bob_dm = await answered(emulator, await emulator.invoke("wiki", {"seed": "A cat"},
                                                                user=bob, dm=True))
        assert bob_dm.callback_type == CALLBACK_MESSAGE  # bob used his in the group DM
        in_guild = await answered(emulator, await emulator.invoke("wiki", {"seed": "A cat"},
                                                                  user=bob))
        assert in_guild.callback_type == CALLBACK_DEFERRED_MESSAGE
        assert in_guild.payload["context"] == p.CONTEXT_GUILD and in_guild.payload["guild_id"]

        # Guild-only commands: Discord never offers them there, and forced through they
        # get a clear, private answer.
        for name, options in (("config", {}), ("challenge list", {})):
            with pytest.raises(EmulatorError, match="does not offer"):
                await emulator.invoke(name, options, user=alice, dm=True)
            with pytest.raises(EmulatorError, match="does not offer"):
                await emulator.invoke(name, options, user=alice, channel=group)
            forced = await answered(emulator, await emulator.invoke(
                name, options, user=alice, dm=True, force=True))
            assert forced.callback_type == CALLBACK_MESSAGE and forced.ephemeral
            assert forced.callback_json["data"]["content"] == "This command works only in a server."
    # Nothing went to a channel with the bot token: a user-installed app has no other way.
    assert not emulator.requests_matching("POST", f"/channels/{group}/messages")
