"""A late result (token expired) posted where the bot lacks permissions: never retried forever."""

from __future__ import annotations

import time

import pytest

from bot.store import PendingJob
from tests.emulator import payloads as p
from tests.emulator.harness import running_bot
from workers import contracts

pytestmark = pytest.mark.timeout(120)


def late_job(emulator, job_id: str, task_name: str) -> PendingJob:
    """A job whose interaction token expired long ago: its result goes to the channel."""
    return PendingJob(job_id=job_id, task_name=task_name, user_id=emulator.add_user("late"),
                      channel_id=emulator.default_channel_id, guild_id=emulator.guild_id,
                      interaction_token=None, created_at=time.time() - 20 * 60, label="a result")


def music_result(job_id: str) -> contracts.MusicResult:
    stem = contracts.clip_stem("jazz", job_id)
    return contracts.MusicResult(
        job_id=job_id, genre="jazz", model="lstm", tempo=120, seconds=4.0, bars=2, rng_seed=7,
        generation_seconds=1.5, notes=3, attachments=[
            contracts.Attachment(f"{stem}.{suffix}", mime, data) for suffix, mime, data in (
                ("ogg", "audio/ogg", b"OggS"), ("mid", "audio/midi", b"MThd"), ("png", "image/png", b"\x89PNG"))])


async def deliver_late_denied(bot, emulator, job_id: str, deny: int):
    """Deliver a late music result (its interaction token expired) to a channel where the
    bot is denied ``deny``: the pending job and the message (None: not posted)."""
    await emulator.set_bot_permissions(emulator.default_channel_id, deny=deny)
    pending = late_job(emulator, job_id, contracts.TASK_COMPOSE)
    await bot.store.add_pending(pending)
    return pending, await bot.runner.deliver(pending, music_result(pending.job_id))


async def test_a_channel_the_bot_cannot_post_in_ends_the_job(discord_emulator, scratch_redis_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url) as bot:
        pending, message = await deliver_late_denied(bot, emulator, "1f" * 16, p.PERM_SEND_MESSAGES)
        assert message is None
        assert await bot.store.all_pending() == []  # not retried on the next start
        assert not await bot.runner.deliver(pending, music_result(pending.job_id))  # already settled
    assert [r.code for r in emulator.rejected()] == [50013]


async def test_without_attach_files_the_result_goes_out_without_its_files(discord_emulator, scratch_redis_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url) as bot:
        _, message = await deliver_late_denied(bot, emulator, "2e" * 16, p.PERM_ATTACH_FILES)
        assert message is not None and await bot.store.all_pending() == []
    posted = emulator.messages[message.id]
    assert posted["attachments"] == [] and "may not attach files" in posted["content"]
    assert posted["embeds"][0]["title"] == "Composition: jazz" and "image" not in posted["embeds"][0]
    assert [r.code for r in emulator.rejected()] == [50013]


async def test_history_lists_results_in_the_order_they_were_asked_for(discord_emulator, scratch_redis_url,
                                                                      tmp_path):
    # The second job is delivered first (a worker may finish them in any order); /history
    # still lists the newer request first, each dated when it was asked for.
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url, data_dir=tmp_path) as bot:
        user = emulator.add_user("orderly")
        first, second = (PendingJob(job_id=job_id, task_name=contracts.TASK_COMPOSE, user_id=user,
                                    channel_id=emulator.default_channel_id, guild_id=emulator.guild_id,
                                    created_at=time.time() - age, label=label)
                         for job_id, age, label in (("3a" * 16, 20 * 60, "asked first"),
                                                    ("3b" * 16, 19 * 60, "asked second")))
        for pending in (second, first):
            await bot.store.add_pending(pending)
            assert await bot.runner.deliver(pending, music_result(pending.job_id)) is not None
        rows = await bot.database.run(bot.database.history.recent, user, limit=10)
    assert [r.summary for r in rows] == ["asked second", "asked first"]
    assert [r.created_at.timestamp() for r in rows] == pytest.approx([second.created_at, first.created_at])
