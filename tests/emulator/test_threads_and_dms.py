"""The emulator's threads, forum posts, DMs and group DMs say no as Discord does."""

from __future__ import annotations

import discord
import pytest

from tests.emulator import payloads as p
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, DiscordEmulator, EmulatorError
from tests.emulator.test_emulator import _plain_bot, connected
from tests.emulator.test_rules import multipart, rest


async def test_threads_from_messages_and_in_channels_with_discords_checks(discord_emulator: DiscordEmulator):
    em = discord_emulator
    em.expect_invalid = True  # malformed bodies on purpose
    channel = em.default_channel_id
    _, message, _ = await rest(em, "POST", f"/channels/{channel}/messages", {"content": "hello"})
    route = f"/channels/{channel}/messages/{message['id']}/threads"
    for name in ("", "x" * 101):
        status, body, _ = await rest(em, "POST", route, {"name": name})
        assert (status, body["code"], list(body["errors"])) == (400, 50035, ["name"])
    status, thread, _ = await rest(em, "POST", route, {"name": "talk", "auto_archive_duration": 10080})
    assert status == 201 and thread["id"] == message["id"] and thread["parent_id"] == str(channel)
    assert thread["type"] == p.CHANNEL_PUBLIC_THREAD and thread["thread_metadata"]["auto_archive_duration"] == 10080
    assert int(em.messages[int(message["id"])]["flags"]) & p.MESSAGE_FLAG_HAS_THREAD
    assert (await rest(em, "POST", route, {"name": "again"}))[1]["code"] == 160004

    # Messages in a thread need Send Messages in Threads; an archived thread takes none.
    thread_id = int(thread["id"])
    assert (await rest(em, "POST", f"/channels/{thread_id}/messages", {"content": "hi"}))[0] == 200
    await em.set_bot_permissions(channel, deny=p.PERM_SEND_MESSAGES_IN_THREADS)
    status, body, _ = await rest(em, "POST", f"/channels/{thread_id}/messages", {"content": "hi"})
    assert (status, body["code"]) == (403, 50013)
    await em.set_bot_permissions(channel)
    await em.archive_thread(thread_id)
    status, body, _ = await rest(em, "POST", f"/channels/{thread_id}/messages", {"content": "hi"})
    assert (status, body["code"]) == (400, 50083)

    # Without a message: public threads need Create Public Threads, private ones (the
    # default) Create Private Threads, which the bot is not given.
    threads = f"/channels/{channel}/threads"
    assert (await rest(em, "POST", threads, {"name": "p"}))[1]["code"] == 50013
    assert (await rest(em, "POST", threads, {"name": "pub", "type": 11}))[0] == 201
    await em.set_bot_permissions(channel, deny=p.PERM_CREATE_PUBLIC_THREADS)
    assert (await rest(em, "POST", threads, {"name": "pub", "type": 11}))[1]["code"] == 50013
    assert (await rest(em, "POST", route.replace(message["id"], str(
        (await rest(em, "POST", f"/channels/{channel}/messages", {"content": "x"}))[1]["id"])),
        {"name": "t"}))[1]["code"] == 50013


async def test_forum_posts_need_a_message_and_hold_it(discord_emulator: DiscordEmulator):
    em = discord_emulator
    em.expect_invalid = True
    forum = em.add_channel("ideas", forum=True)
    route = f"/channels/{forum}/threads"
    status, body, _ = await rest(em, "POST", route, {"name": "no message"})
    assert (status, list(body["errors"])) == (400, ["message"])
    status, body, _ = await rest(em, "POST", route, {"name": "long", "message": {"content": "x" * 2001}})
    assert status == 400 and "message" in body["errors"]
    assert (await rest(em, "POST", f"/channels/{forum}/messages", {"content": "hi"}))[1]["code"] == 50008
    status, post, _ = await rest(em, "POST", route, data=multipart(
        {"name": "a post", "message": {"content": "first", "attachments": [{"id": 0, "filename": "a.txt"}]}},
        ("a.txt", b"hello")))
    assert status == 201 and post["parent_id"] == str(forum) and post["message"]["id"] == post["id"]
    assert post["message"]["content"] == "first" and em.files_of(em.messages[int(post["id"])]) == {"a.txt": b"hello"}
    await em.set_bot_permissions(forum, deny=p.PERM_SEND_MESSAGES)
    assert (await rest(em, "POST", route, {"name": "x", "message": {"content": "y"}}))[1]["code"] == 50013


async def test_dm_and_group_dm_interactions_and_the_webhook_only_rule(discord_emulator: DiscordEmulator):
    em = discord_emulator
    alice, bob = em.add_user("alice"), em.add_user("bob")
    group = em.add_private_channel(alice, bob)
    bot = _plain_bot()
    seen: list[discord.Interaction] = []

    async def on_interaction(interaction: discord.Interaction) -> None:
        seen.append(interaction)

    bot.add_listener(on_interaction)
    async with connected(bot, em):
        # Unknown (unsynced) commands are not checked; the payload is what Discord sends.
        record = await em.invoke("anything", user=alice, dm=True)
        await em.wait_for(lambda: seen, 5, "the interaction")
        interaction = seen[0]
        assert interaction.guild_id is None and interaction.user.id == alice
        assert interaction.channel.type.value == p.CHANNEL_DM and interaction.context.dm_channel
        assert record.payload["authorizing_integration_owners"] == {"1": str(alice)}
        guild_install = await em.invoke("anything", user=alice, dm=True, install=p.GUILD_INSTALL)
        assert guild_install.payload["authorizing_integration_owners"] == {"0": "0"}
        with pytest.raises(EmulatorError, match="user-installed"):
            await em.invoke("anything", user=alice, channel=group, install=p.GUILD_INSTALL)

        in_group = await em.invoke("anything", user=bob, channel=group)
        await em.wait_for(lambda: len(seen) == 3, 5, "the group DM interaction")
        assert seen[2].channel.type.value == p.CHANNEL_GROUP_DM and seen[2].context.private_channel
        # The bot is not in the group DM: only the interaction's webhook reaches it.
        status, body, _ = await rest(em, "POST", f"/channels/{group}/messages", {"content": "hi"})
        assert (status, body["code"]) == (403, 50001)
        status, _, _ = await rest(em, "POST", f"/interactions/{in_group.id}/{in_group.token}/callback",
                                  {"type": CALLBACK_DEFERRED_MESSAGE})
        assert status == 200
        status, message, _ = await rest(em, "POST", f"/webhooks/{em.application_id}/{in_group.token}",
                                        {"content": "answer"})
        assert status == 200 and message["channel_id"] == str(group) and "guild_id" not in message
        assert message["interaction_metadata"]["authorizing_integration_owners"] == {"1": str(bob)}
        # In its own DM the bot may post.
        dm = em.dm_channel(alice)
        assert em.dm_channel(alice) == dm
        assert (await rest(em, "POST", f"/channels/{dm}/messages", {"content": "hi"}))[0] == 200
