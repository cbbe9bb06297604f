"""Right-click menus (Continue this MIDI, Write more, Variation) and the Edit modal under a
result, through the real bot in the strict emulator (no worker: the jobs they start wait
in the queue, where the test reads them)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.store import PendingJob
from tests.emulator.harness import running_bot
from tests.emulator.server import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    DiscordEmulator,
    Upload,
)
from workers import contracts
from workers.contracts import WikiJob, WikiResult

pytestmark = pytest.mark.timeout(120)

TEXT = ("The river Test rises near Ashe and flows south through Hampshire. " * 8
        + "Its chalk waters are known for trout fishing and for the mills along its banks.")


async def ephemeral_text(emulator: DiscordEmulator, record) -> str:
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_MESSAGE and record.ephemeral, record.callback_json
    return record.callback_json["data"]["content"]


async def deliver_article(bot, emulator: DiscordEmulator, user: int) -> dict:
    """An article of ``user``'s delivered as the bot delivers any result (its interaction
    token long expired, so it is posted in the channel): the stored message."""
    job = WikiJob(job_id=contracts.new_job_id(), seed="The river Test", length=400, temperature=0.7,
                  top_p=0.9)
    pending = PendingJob(job_id=job.job_id, task_name=contracts.TASK_WIKI, user_id=user,
                         channel_id=emulator.default_channel_id, guild_id=emulator.guild_id,
                         created_at=time.time() - 20 * 60, job=job.to_dict(), label="article “The river Test”")
    await bot.store.add_pending(pending)
    result = WikiResult(job_id=job.job_id, seed=job.seed, title="River Test", markdown=TEXT, text=TEXT,
                        chars=len(TEXT), rng_seed=1234, model="wiki_writer", seconds=0.4)
    message = await bot.runner.deliver(pending, result)
    return emulator.messages[message.id]


async def queued_job(bot, emulator: DiscordEmulator, record) -> PendingJob:
    """The job an interaction started (deferred, then waiting in the queue)."""
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE, record.callback_json
    token = record.token

    async def find() -> PendingJob | None:
        return next((j for j in await bot.store.all_pending() if j.interaction_token == token), None)

    deadline = time.monotonic() + 5
    while (job := await find()) is None:
        assert time.monotonic() < deadline, "no job was queued"
        await asyncio.sleep(0.05)
    return job


async def test_menus_refuse_messages_they_do_not_apply_to(discord_emulator, scratch_redis_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url):
        alice = emulator.add_user("alice")
        plain = emulator.post_user_message("just chatting", [Upload("notes.txt", b"hello", "text/plain")],
                                           user=alice)
        mid = int(plain["id"])
        text = await ephemeral_text(emulator, await emulator.message_command("Continue this MIDI", mid, user=alice))
        assert "no MIDI file" in text
        text = await ephemeral_text(emulator, await emulator.message_command("Write more", mid, user=alice))
        assert "my articles only" in text
        text = await ephemeral_text(emulator, await emulator.message_command("Variation", mid, user=alice))
        assert "my results only" in text
    assert emulator.rejected() == []


async def test_menus_and_the_edit_modal_build_on_a_delivered_article(discord_emulator, scratch_redis_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url) as bot:
        alice, bob = emulator.add_user("alice"), emulator.add_user("bob")
        article = await deliver_article(bot, emulator, alice)
        source = emulator.jump_url(article)
        # The result shows every parameter of its job, and carries an Edit button.
        footer = article["embeds"][0]["footer"]["text"]
        assert footer.splitlines()[-1] == ("length 400 · temperature 0.7 · top-k 0 · top-p 0.9 · seed 1234"
                                           " · model wiki_writer")
        ids = [c["custom_id"] for row in article["components"] for c in row["components"]]
        job_id = ids[0].rsplit(":", 1)[1]
        assert f"wm:edit:{job_id}" in ids

        # Write more: an article seeded with the end of this one, same settings, linked to it.
        more = await queued_job(bot, emulator, await emulator.message_command("Write more", int(article["id"]),
                                                                              user=bob))
        assert more.user_id == bob and more.task_name == contracts.TASK_WIKI
        assert TEXT.endswith(more.job["seed"]) and 200 < len(more.job["seed"]) <= 300
        assert (more.job["length"], more.job["temperature"], more.job["top_p"]) == (400, 0.7, 0.9)
        assert more.note.splitlines()[0] == f"Continuation of {source}"

        # Variation: the same job with a new random seed.
        variation = await queued_job(bot, emulator, await emulator.message_command(
            "Variation", int(article["id"]), user=alice))
        assert variation.job == {**more.job, "seed": "The river Test", "job_id": variation.job_id}
        assert variation.job["rng_seed"] is None and variation.note == f"Variation of {source}"

        # Edit: a modal prefilled with the job's parameters (the seed the worker drew included).
        refused = await emulator.click(int(article["id"]), f"wm:edit:{job_id}", user=bob)
        assert "Only <@" in await ephemeral_text(emulator, refused)

        async def open_edit():
            record = await emulator.click(int(article["id"]), f"wm:edit:{job_id}", user=alice)
            await emulator.wait_for_callback(record)
            assert record.callback_type == CALLBACK_MODAL
            return record

        edit = await open_edit()
        modal = edit.callback_json["data"]
        prefilled = {row["components"][0]["custom_id"]: row["components"][0]["value"] for row in modal["components"]}
        assert prefilled == {"wm:field:seed": "The river Test", "wm:field:length": "400",
                             "wm:field:temperature": "0.7", "wm:field:top_p": "0.9", "wm:field:rng_seed": "1234"}
        # Discord's client itself refuses a value longer than the input allows.
        with pytest.raises(AssertionError, match="does not submit"):
            await emulator.submit_modal(edit, {"wm:field:length": "1" * 13})
        # Bad input: the contract's own message, ephemeral, and nothing queued.
        before = len(await bot.store.all_pending())
        text = await ephemeral_text(emulator, await emulator.submit_modal(edit, {"wm:field:length": "50"}))
        assert text == "Length must be a whole number from 100 to 4,000."
        with pytest.raises(AssertionError, match="submitted already"):
            await emulator.submit_modal(edit)
        text = await ephemeral_text(emulator, await emulator.submit_modal(await open_edit(),
                                                                          {"wm:field:temperature": "hot"}))
        assert "is not a number" in text
        assert len(await bot.store.all_pending()) == before
        edited = await queued_job(bot, emulator, await emulator.submit_modal(await open_edit(), {
            "wm:field:length": "150", "wm:field:seed": "Mills on the Test", "wm:field:rng_seed": ""}))
        assert (edited.job["seed"], edited.job["length"], edited.job["rng_seed"]) == ("Mills on the Test", 150, None)
        assert edited.job["temperature"] == 0.7 and edited.note == f"Edited from {source}"
    assert emulator.rejected() == []
