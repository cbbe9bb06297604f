"""The first reply comes before the slow work: within Discord's 3 s however slow Redis, the
attachment download or the database are (the real bot against the emulator, real Redis,
real SQLite). Each slow part is made slow for real: Redis paused (CLIENT PAUSE), the SQLite
file's write lock held, the download delayed."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import discord
import pytest
import redis

from bot.cogs.challenges.views import ballot_view
from bot.db.models import utcnow
from tests.emulator.harness import running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, DiscordEmulator, Upload

pytestmark = pytest.mark.timeout(120)

DATA = Path(__file__).resolve().parents[1] / "data"
STALL_MS = 4000  # longer than Discord's 3 s for the first reply


@contextlib.asynccontextmanager
async def redis_stalled(url: str) -> AsyncIterator[None]:
    """Every Redis command of every client waits STALL_MS (then runs normally)."""
    client = redis.Redis.from_url(url)
    client.execute_command("CLIENT", "PAUSE", STALL_MS, "ALL")
    try:
        yield
    finally:
        await asyncio.sleep(STALL_MS / 1000)
        client.close()


async def first_reply(emulator: DiscordEmulator, record) -> None:
    await emulator.wait_for_callback(record, timeout=3.5)
    assert record.deferral_seconds < 3, record.deferral_seconds
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE


async def test_queue_replies_before_reading_redis(discord_emulator, redis_server_factory):
    server = redis_server_factory()
    async with running_bot(discord_emulator, redis_url=server.url):
        user = discord_emulator.add_user("patient")
        async with redis_stalled(server.url):
            record = await discord_emulator.invoke("queue", {}, user=user)
            await first_reply(discord_emulator, record)
            assert record.ephemeral
        edit = await discord_emulator.wait_for(lambda: discord_emulator.original_edits(record), 10)
        assert edit[-1].json["content"] == "You have no jobs waiting or running."


async def test_continue_replies_before_redis_and_before_the_download(discord_emulator, redis_server_factory,
                                                                     monkeypatch):
    server = redis_server_factory()
    upload = Upload("maple.mid", (DATA / "maple_leaf_excerpt.mid").read_bytes(), "audio/midi")
    async with running_bot(discord_emulator, redis_url=server.url) as bot:
        user = discord_emulator.add_user("pianist")
        async with redis_stalled(server.url):
            stalled = await discord_emulator.invoke("continue", {"midi": upload, "bars": 2}, user=user)
            await first_reply(discord_emulator, stalled)
        # A download slower than the 3 s of the first reply (a slow CDN) is waited for.
        read = discord.Attachment.read

        async def slow_read(self, **kwargs):
            await asyncio.sleep(STALL_MS / 1000)
            return await read(self, **kwargs)

        monkeypatch.setattr(discord.Attachment, "read", slow_read)
        slow = await discord_emulator.invoke("continue", {"midi": upload, "bars": 2}, user=user)
        await first_reply(discord_emulator, slow)
        await discord_emulator.wait_for(lambda: len(discord_emulator.original_edits(slow)) > 0, 15)
        jobs = await bot.store.all_pending()
        assert len(jobs) == 2 and all(j.task_name == "wikimuse.continue" for j in jobs)


async def test_midi_refusals_after_the_download_replace_thinking(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        user = discord_emulator.add_user("dave")
        for data, expected in ((b"RIFF\0\0\0\0WAVEfmt ", "no MIDI header"),
                               (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0", "has a MIDI header but no track")):
            record = await discord_emulator.invoke("continue", {"midi": Upload("song.mid", data, "audio/midi")},
                                                   user=user)
            await first_reply(discord_emulator, record)
            edits = await discord_emulator.wait_for(lambda r=record: discord_emulator.original_edits(r), 5)
            assert expected in edits[-1].json["content"], edits[-1].json
            assert edits[-1].json["allowed_mentions"] == {"parse": []}
        assert await bot.store.all_pending() == []


async def test_a_vote_replies_before_the_database_answers(discord_emulator, scratch_redis_url, tmp_path):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, data_dir=tmp_path) as bot:
        author, voter = discord_emulator.add_user("author"), discord_emulator.add_user("voter")
        database = bot.database
        now = utcnow()
        challenge = await database.run(
            database.challenges.create, guild_id=discord_emulator.guild_id,
            channel_id=discord_emulator.default_channel_id, created_by=discord_emulator.owner_id,
            title="Quick", prompt="Anything", kind="music", genre=None,
            submission_deadline=now + timedelta(hours=1), voting_deadline=now + timedelta(days=1), now=now)
        entry = await database.run(database.challenges.submit, challenge.id, author, content=b"MThd",
                                   filename="a.mid", now=now)
        assert await database.run(database.challenges.open_voting, challenge.id, early=True)
        channel = bot.get_channel(discord_emulator.default_channel_id)
        ballot = await channel.send("Entry 1", view=ballot_view(challenge.id, entry.submission.id, 1))
        custom_id = ballot.components[0].children[0].custom_id
        # Another process holds the database's write lock for longer than 3 s.
        locker = sqlite3.connect(database.engine.url.database, timeout=30)
        locker.execute("BEGIN IMMEDIATE")
        try:
            record = await discord_emulator.click(ballot.id, custom_id, user=voter)
            await first_reply(discord_emulator, record)
            assert record.ephemeral
            await asyncio.sleep(STALL_MS / 1000)
        finally:
            locker.rollback()
            locker.close()

        def answer() -> str | None:
            texts = [discord_emulator.messages[i]["content"] for i in record.followup_ids]
            texts += [e.json.get("content") or "" for e in discord_emulator.original_edits(record)]
            # The first followup after the deferral edits the deferred message, as on Discord.
            texts.append((discord_emulator.original_message(record) or {}).get("content") or "")
            return next((t for t in texts if "vote for entry 1 is counted" in t), None)

        await discord_emulator.wait_for(answer, 35, "the vote's answer")
