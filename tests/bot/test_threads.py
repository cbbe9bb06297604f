"""Threads: a challenge opens one from its announcement and links it; in a forum channel
/wiki opens a post of its own. Against the emulator, with no worker (the result of a forum
job is in ``tests/e2e/test_dms_and_forums_e2e.py``)."""

from __future__ import annotations

import re

import pytest

from tests.emulator import payloads as p
from tests.emulator.harness import running_bot
from tests.emulator.server import DiscordEmulator, InteractionRecord, Upload

pytestmark = pytest.mark.timeout(120)

CHALLENGE = {"title": "Ragtime", "prompt": "Make a rag.", "kind": "music", "deadline": "1h"}


async def answer(emulator: DiscordEmulator, record: InteractionRecord) -> str:
    """The text that answered an interaction: its reply, or its deferred reply once filled."""
    def find() -> str | None:
        if record.callback_type == 4:
            return record.callback_json["data"]["content"]
        original = emulator.original_message(record)
        if original and not int(original["flags"]) & 128:
            return original["content"]
        return None
    return await emulator.wait_for(find, 10, f"an answer to interaction {record.id}")


def thread_creates(emulator: DiscordEmulator) -> list:
    return [r for r in emulator.requests if r.method == "POST" and r.path.endswith("/threads")]


async def test_a_challenge_opens_a_thread_from_its_announcement_and_links_it(
        discord_emulator, scratch_redis_url, tmp_path):
    emulator = discord_emulator
    channel, alice = emulator.default_channel_id, emulator.add_user("alice")
    async with running_bot(emulator, redis_url=scratch_redis_url, data_dir=tmp_path,
                           extensions=("bot.cogs.challenges",)):
        confirmation = await answer(emulator, await emulator.invoke(
            "challenge create", {**CHALLENGE, "title": "Ragtime " + "x" * 92}))
        [create] = thread_creates(emulator)
        [announcement] = [m for m in emulator.channel_messages(channel) if m["embeds"]]
        assert create.path == f"/channels/{channel}/messages/{announcement['id']}/threads"
        assert create.status == 201 and create.json["name"] == "Challenge #1: Ragtime " + "x" * 77 + "…"
        thread_id = int(announcement["id"])  # a thread from a message takes its id
        assert emulator.channels[thread_id]["parent_id"] == str(channel)
        assert any(e["t"] == "THREAD_CREATE" and e["d"]["id"] == str(thread_id)
                   for s in emulator.sessions.values() for e in s.events)
        fields = {f["name"]: f["value"] for f in announcement["embeds"][0]["fields"]}
        assert fields["Entries and talk"] == f"<#{thread_id}>"
        assert f"<#{thread_id}>" in confirmation

        # Entries and talk happen in the thread: /challenge submit works from there.
        entered = await answer(emulator, await emulator.invoke(
            "challenge submit", {"challenge": 1, "file": _midi_upload()}, user=alice, channel=thread_id))
        assert "is in" in entered

        # Without Create Public Threads the challenge still goes ahead, without a thread.
        await emulator.set_bot_permissions(channel, deny=p.PERM_CREATE_PUBLIC_THREADS)
        second = await answer(emulator, await emulator.invoke("challenge create", CHALLENGE))
        assert "Challenge #2 is announced" in second and "talk" not in second
        assert thread_creates(emulator)[-1].status == 403
        announcement = [m for m in emulator.channel_messages(channel) if m["embeds"]][-1]
        assert "Entries and talk" not in {f["name"] for f in announcement["embeds"][0]["fields"]}


def _midi_upload() -> Upload:
    track = bytes([0x00, 0x90, 60, 0x60, 0x60, 0x80, 60, 0x40, 0x00, 0xFF, 0x2F, 0x00])
    data = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk" + len(track).to_bytes(4, "big") + track
    return Upload("rag.mid", data, "audio/midi")


async def test_wiki_in_a_forum_opens_a_post_of_its_own(discord_emulator, scratch_redis_url, tmp_path):
    emulator = discord_emulator
    forum = emulator.add_channel("articles", forum=True)
    alice = emulator.add_user("alice")
    async with running_bot(emulator, redis_url=scratch_redis_url, data_dir=tmp_path):
        record = await emulator.invoke("wiki", {"seed": "The fox"}, user=alice, channel=forum)
        text = await answer(emulator, record)
        assert record.callback_type == 5 and record.ephemeral  # "thinking…" only for alice
        [post] = thread_creates(emulator)
        assert post.path == f"/channels/{forum}/threads" and post.status == 201
        assert post.json["name"] == "article “The fox”"
        assert post.json["message"]["content"] == f"<@{alice}> asked for article “The fox”; it follows here."
        assert post.json["message"]["allowed_mentions"] == {"parse": []}
        thread_id = int(post.response["id"])
        assert text == f"Your article “The fox” gets a post of its own: <#{thread_id}>"
        assert emulator.channels[thread_id]["parent_id"] == str(forum)
        assert re.fullmatch(r"\d+", str(emulator.messages[thread_id]["id"]))  # the starter message

        # A forum the bot may not post in: a clear answer, and nothing queued.
        await emulator.set_bot_permissions(forum, deny=p.PERM_SEND_MESSAGES)
        refused = await emulator.invoke("wiki", {"seed": "The cat"}, user=alice, channel=forum)
        assert "cannot open a post in this forum" in await answer(emulator, refused)
        assert thread_creates(emulator)[-1].status == 403
