"""Ballots in a channel where the bot may post but not attach files: every entry still gets one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.db import default_sqlite_url
from bot.db.models import utcnow
from tests.emulator import payloads as p
from tests.emulator.harness import running_bot

pytestmark = pytest.mark.timeout(120)

MIDI = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60"


async def open_challenge_with_entries(bot, emulator) -> int:
    """A music challenge with one uploaded entry and one linked result, voting just opened."""
    db = bot.database
    now = utcnow()
    challenge = await db.run(
        db.challenges.create, guild_id=emulator.guild_id, channel_id=emulator.default_channel_id,
        created_by=emulator.owner_id, title="Jazz", prompt="A jazz clip", kind="music",
        submission_deadline=now + timedelta(hours=1), voting_deadline=now + timedelta(hours=2), now=now)
    await db.run(db.challenges.submit, challenge.id, emulator.add_user("alice"), content=MIDI,
                 filename="alice.mid", content_type="audio/midi", summary="alice.mid")
    await db.run(db.challenges.submit, challenge.id, emulator.add_user("bob"), job_id="job-bob",
                 summary="jazz · lstm", jump_url="https://discord.com/channels/1/2/3")
    assert await db.run(db.challenges.open_voting, challenge.id, early=True)
    return challenge.id


async def post_ballots_denied(emulator, redis_url: str, tmp_path: Path, deny: int) -> list:
    """Open a challenge with two entries, deny the bot ``deny`` in its channel and post the
    ballots; the submissions as stored afterwards."""
    async with running_bot(emulator, redis_url=redis_url, extensions=("bot.cogs.challenges",),
                           database_url=default_sqlite_url(tmp_path)) as bot:
        challenge_id = await open_challenge_with_entries(bot, emulator)
        await emulator.set_bot_permissions(emulator.default_channel_id, deny=deny)
        await bot.get_cog("Challenges").scheduler.publish(challenge_id)
        return await bot.database.run(bot.database.challenges.submissions, challenge_id)


async def test_an_entry_whose_file_cannot_be_attached_is_posted_without_it(
        discord_emulator, scratch_redis_url, tmp_path: Path):
    emulator = discord_emulator
    submissions = await post_ballots_denied(emulator, scratch_redis_url, tmp_path, p.PERM_ATTACH_FILES)
    posted = [m for m in emulator.channel_messages() if not m["flags"]]
    header, first, second = posted
    assert "Voting is open" in header["content"]
    assert first["content"].startswith("**Entry 1**") and first["attachments"] == []
    assert "could not be attached" in first["content"] and first["components"]
    assert second["content"].startswith("**Entry 2**") and second["components"]
    assert [s.vote_message_id for s in submissions] == [int(first["id"]), int(second["id"])]


async def test_a_channel_the_bot_cannot_post_in_gives_up_quietly(
        discord_emulator, scratch_redis_url, tmp_path: Path):
    emulator = discord_emulator
    submissions = await post_ballots_denied(emulator, scratch_redis_url, tmp_path, p.PERM_SEND_MESSAGES)
    assert emulator.channel_messages() == []
    assert [s.vote_message_id for s in submissions] == [0, 0]  # undeliverable: not retried


async def test_results_in_a_channel_without_embed_links_go_out_as_text(
        discord_emulator, scratch_redis_url, tmp_path: Path):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url, extensions=("bot.cogs.challenges",),
                           database_url=default_sqlite_url(tmp_path)) as bot:
        cog = bot.get_cog("Challenges")
        challenge_id = await open_challenge_with_entries(bot, emulator)
        db = bot.database
        await db.run(db.challenges.close, challenge_id, cog.settings.scoring, early=True)
        # No votes, so no winner's file: the results are one embed, which Discord drops
        # without Embed Links (and then refuses the empty message, 400 50006).
        await emulator.set_bot_permissions(emulator.default_channel_id, deny=p.PERM_EMBED_LINKS)
        await cog.scheduler.publish(challenge_id)
        stored = await db.run(db.challenges.get, challenge_id)
    # Only the results: a scheduler tick during the set-up may also have posted ballots as text.
    [results] = [m for m in emulator.channel_messages() if m["content"].startswith("**🏆 Results")]
    assert results["embeds"] == []
    assert stored.results_message_id == int(results["id"])
