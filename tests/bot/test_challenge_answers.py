"""/challenge create and submit fill in their deferred, private "thinking…" reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db import default_sqlite_url
from tests.emulator import payloads as p
from tests.emulator.harness import running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, MESSAGE_FLAG_EPHEMERAL, Upload

pytestmark = pytest.mark.timeout(120)

MIDI = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"


async def settled_answer(emulator, record) -> dict:
    """The deferred reply once it no longer says "thinking…"."""
    await emulator.wait_for_callback(record)
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE
    return await emulator.wait_for(
        lambda: (m := emulator.original_message(record)) and not m["flags"] & 128 and m, 10,
        f"the answer to interaction {record.id}")


async def test_create_and_submit_answer_by_editing_the_deferred_reply(
        discord_emulator, scratch_redis_url, tmp_path: Path):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url, extensions=("bot.cogs.challenges",),
                           database_url=default_sqlite_url(tmp_path)):
        created = await emulator.invoke("challenge create", {
            "title": "Jazz", "prompt": "A jazz clip", "kind": "music", "deadline": "1h"})
        announced = await settled_answer(emulator, created)
        entry = await emulator.invoke("challenge submit", {
            "challenge": 1, "file": Upload("mine.mid", MIDI, "audio/midi")}, user=emulator.add_user("a"))
        entered = await settled_answer(emulator, entry)
    assert "Challenge #1 is announced" in announced["content"]
    assert "Your entry for challenge #1 is in" in entered["content"]
    for record, message in ((created, announced), (entry, entered)):
        assert message["flags"] & MESSAGE_FLAG_EPHEMERAL  # private, as deferred
        # The answer is an edit of the deferred reply, not a followup that Discord would
        # turn into one only if it came first.
        assert [r.method for r in emulator.requests_for(record)] == ["POST", "PATCH"]
        assert record.followup_ids == [] and not record.followup_edited_original


async def test_create_in_a_channel_without_embed_links_is_refused_and_not_kept(
        discord_emulator, scratch_redis_url, tmp_path: Path):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url, extensions=("bot.cogs.challenges",),
                           database_url=default_sqlite_url(tmp_path)) as bot:
        # Without Embed Links Discord drops the announcement's embed, leaving an empty message.
        quiet = await emulator.create_channel("quiet")
        await emulator.set_bot_permissions(quiet, deny=p.PERM_EMBED_LINKS)
        created = await emulator.invoke("challenge create", {
            "title": "Jazz", "prompt": "A jazz clip", "kind": "music", "deadline": "1h",
            "channel": quiet})
        await emulator.wait_for_callback(created)
        challenges = await bot.database.run(bot.database.challenges.in_guild, emulator.guild_id)
    answer = created.callback_json["data"]
    assert created.ephemeral and "cannot post" in answer["content"] and "Embed Links" in answer["content"]
    assert challenges == [] and emulator.channel_messages(quiet) == []  # nothing half-made
