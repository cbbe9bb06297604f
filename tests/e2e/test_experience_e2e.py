"""Nothing lost, fair, visible: /queue, /cancel, /history, late results, restarts, two users."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.harness import PATIENT_LIMITS, running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, DiscordEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

NO_MENTIONS = {"parse": []}


def final_message(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


def channel_posts_for(emulator: DiscordEmulator, user_id: int) -> list:
    return [r for r in emulator.requests_matching("POST", "/channels/")
            if r.status == 200 and (r.json or {}).get("content", "").startswith(f"<@{user_id}>")]


def deliveries(emulator: DiscordEmulator, record) -> int:
    """How many times a result reached the user: edits with an embed + channel posts."""
    edits = [r for r in emulator.original_edits(record) if r.status == 200 and (r.json or {}).get("embeds")]
    return len(edits) + len(channel_posts_for(emulator, record.user_id))


async def deferred(emulator: DiscordEmulator, command: str, options: dict, user: int):
    """Invoke, check the deferral came within 3 s, and wait until the job was enqueued."""
    record = await emulator.invoke(command, options, user=user)
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE and record.deferral_seconds < 3
    await emulator.wait_for(lambda: emulator.original_edits(record), 10, "the first progress edit")
    return record


async def test_queue_shows_positions_and_cancel_revokes(discord_emulator, redis_server_factory):
    idle = redis_server_factory()  # no worker: jobs stay queued
    async with running_bot(discord_emulator, redis_url=idle.url):
        alice, bob = discord_emulator.add_user("alice"), discord_emulator.add_user("bob")
        first = await deferred(discord_emulator, "wiki", {"seed": "first"}, alice)
        await deferred(discord_emulator, "wiki", {"seed": "bob's"}, bob)
        await deferred(discord_emulator, "wiki", {"seed": "second"}, alice)
        # The deferred reply says where the job waits, and about how long.
        assert discord_emulator.original_edits(first)[0].json["content"].startswith(
            "Queued, position 1, about ")

        queue = await discord_emulator.invoke("queue", {}, user=alice)
        await discord_emulator.wait_for_callback(queue)
        assert queue.ephemeral
        listed = await discord_emulator.wait_for(
            lambda: [e for e in discord_emulator.original_edits(queue) if (e.json or {}).get("embeds")], 10)
        text = listed[-1].json["embeds"][0]["description"]
        assert "“first”" in text and "position 1" in text
        assert "“second”" in text and "position 3" in text and "bob" not in text

        choices = await discord_emulator.autocomplete("cancel", {"job": ""}, "job", user=alice)
        assert len(choices) == 2 and all("bob" not in c["name"] for c in choices)
        first_job = next(c["value"] for c in choices if "first" in c["name"])
        cancel = await discord_emulator.invoke("cancel", {"job": first_job}, user=alice)
        await discord_emulator.wait_for_callback(cancel)
        assert cancel.ephemeral and "Cancelled" in cancel.callback_json["data"]["content"]
        message = await discord_emulator.wait_for(lambda: final_message(discord_emulator, first), 10)
        assert message["embeds"][0]["title"] == "Cancelled"
        # Bob cannot cancel Alice's job.
        steal = await discord_emulator.invoke("cancel", {"job": first_job}, user=bob)
        await discord_emulator.wait_for_callback(steal)
        assert "can't find that job" in steal.callback_json["data"]["content"]


async def test_a_job_outliving_its_token_is_posted_in_the_channel(discord_emulator, music_stack_url):
    async with running_bot(discord_emulator, redis_url=music_stack_url):
        alice = discord_emulator.add_user("alice")
        record = await discord_emulator.invoke("wiki", {"seed": "Late news", "length": 120}, user=alice)
        # The token runs out (as after 15 minutes) before the bot can edit its deferred reply,
        # however soon the worker finishes: neither progress nor the result can edit the reply,
        # so the result must be posted.
        record.expired = True
        await discord_emulator.wait_for_callback(record, timeout=3)
        post = await discord_emulator.wait_for(lambda: channel_posts_for(discord_emulator, alice), 180,
                                               "a channel post")
        body = post[0].json
        assert post[0].authorization == f"Bot {discord_emulator.token}"
        assert body["embeds"][0]["description"].startswith("**Late news**")
        # The requester alone may be pinged: no roles, no @everyone, nobody else.
        assert body["allowed_mentions"] == {"parse": [], "users": [alice]}
        assert body["components"]  # the buttons come along
        assert deliveries(discord_emulator, record) == 1
        assert not [e for e in discord_emulator.original_edits(record) if e.status == 200]


async def test_restart_with_three_pending_jobs_delivers_each_exactly_once(
        discord_emulator, redis_server_factory, start_celery_worker, tiny_model_dir):
    server = redis_server_factory(appendonly=True)
    users = [discord_emulator.add_user(name) for name in ("ann", "ben", "cat")]
    async with running_bot(discord_emulator, redis_url=server.url):
        records = [await deferred(discord_emulator, "wiki", {"seed": f"Topic {i}", "length": 100}, user)
                   for i, user in enumerate(users)]
    # The bot is gone; one token also expires meanwhile. Now a worker comes up, then the bot.
    records[2].expired = True
    await asyncio.to_thread(start_celery_worker, queues=("text",), redis_url_override=server.url,
                            env={"MODEL_DIR": str(tiny_model_dir), **PATIENT_LIMITS})
    async with running_bot(discord_emulator, redis_url=server.url):
        for record in records:
            await discord_emulator.wait_for(lambda r=record: deliveries(discord_emulator, r) >= 1, 180,
                                            f"the result for {record.user_id}")
    for i, record in enumerate(records[:2]):
        assert deliveries(discord_emulator, record) == 1
        assert final_message(discord_emulator, record)["embeds"][0]["description"].startswith(f"**Topic {i}**")
    assert len(channel_posts_for(discord_emulator, users[2])) == 1
    assert deliveries(discord_emulator, records[2]) == 1
    # A third start finds nothing left to deliver.
    async with running_bot(discord_emulator, redis_url=server.url) as bot:
        assert await bot.store.all_pending() == []
    assert [deliveries(discord_emulator, r) for r in records] == [1, 1, 1]


async def test_two_users_interleaving_get_their_own_results_and_history(discord_emulator, music_stack_url,
                                                                        tmp_path):
    # The history is in SQL (SQLite under data_dir): a fresh file, so only this run's results.
    async with running_bot(discord_emulator, redis_url=music_stack_url, data_dir=tmp_path) as bot:
        alice, bob = discord_emulator.add_user("alice"), discord_emulator.add_user("bob")
        plan = [(alice, "Alpha one"), (bob, "Bravo one"), (alice, "Alpha two"), (bob, "Bravo two")]
        records = [await deferred(discord_emulator, "wiki", {"seed": seed, "length": 100}, user)
                   for user, seed in plan]
        for record, (user, seed) in zip(records, plan, strict=True):
            message = await discord_emulator.wait_for(lambda r=record: final_message(discord_emulator, r), 240)
            assert message["embeds"][0]["description"].startswith(f"**{seed}**")
            assert message["interaction_metadata"]["user"]["id"] == str(user)
        assert [deliveries(discord_emulator, r) for r in records] == [1, 1, 1, 1]

        async def history_text() -> str:
            history = await discord_emulator.invoke("history", {}, user=alice)
            await discord_emulator.wait_for_callback(history)
            assert history.ephemeral
            return history.callback_json["data"]["embeds"][0]["description"]

        # History is written just after the reply goes out: ask until both are in.
        for _ in range(20):
            text = await history_text()
            if "Alpha one" in text and "Alpha two" in text:
                break
            await asyncio.sleep(0.25)
        assert "Alpha one" in text and "Alpha two" in text and "Bravo" not in text
        jump = f"https://discord.com/channels/{discord_emulator.guild_id}/{discord_emulator.default_channel_id}/"
        assert text.count(jump) == 2

        # The rows behind /history are in the bot's SQL database: one per job, kind "text",
        # newest first, each linking to the delivered message; nothing is kept in Redis.
        rows = await bot.database.run(bot.database.history.recent, alice, limit=10)
        assert len(rows) == 2 and len({r.job_id for r in rows}) == 2
        assert "Alpha two" in rows[0].summary and "Alpha one" in rows[1].summary
        assert all(r.kind.value == "text" and r.jump_url and r.jump_url.startswith(jump) for r in rows)
        assert await bot.backend.redis.keys("wikimuse:bot:history:*") == []
