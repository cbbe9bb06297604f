"""/wiki input checks and limits, through the emulator and the real bot (real Redis, no worker).

Every refusal is an ephemeral message with a clear reason, sent as the first
response (so within Discord's 3 s), and nothing is enqueued.
"""

from __future__ import annotations

import pytest
import redis

from bot.store import PENDING_KEY
from tests.emulator.harness import running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, CALLBACK_MESSAGE, DiscordEmulator
from workers import contracts

pytestmark = pytest.mark.timeout(120)


async def _refusal(emulator: DiscordEmulator, options: dict, user: int) -> str:
    record = await emulator.invoke("wiki", options, user=user)
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_MESSAGE, record.callback_json
    assert record.ephemeral
    data = record.callback_json["data"]
    assert data["allowed_mentions"] == {"parse": []}
    return data["content"]


BAD_INPUTS = [
    ({"seed": ""}, "seed is empty"),
    ({"seed": "\u200b\u200c\u200d\ufeff  "}, "seed is empty"),
    ({"seed": "x" * 10_000}, "10,000 characters long; the limit is 500"),
    ({"seed": "ok", "length": -5}, "Length must be a whole number from 100 to 4,000"),
    ({"seed": "ok", "length": 10**12}, "Length must be a whole number from 100 to 4,000"),
    ({"seed": "ok", "temperature": 0.0}, "Temperature must be a number from 0.1 to 2.0"),
    ({"seed": "ok", "temperature": 1e9}, "Temperature must be a number from 0.1 to 2.0"),
    ({"seed": "ok", "top_p": 0.0}, "Top-p must be a number from 0.05 to 1.0"),
    ({"seed": "ok", "top_p": 1.5}, "Top-p must be a number from 0.05 to 1.0"),
]


async def test_bad_input_gets_a_clear_ephemeral_answer_and_nothing_is_queued(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url):
        user = discord_emulator.add_user("mallory")
        for options, expected in BAD_INPUTS:
            text = await _refusal(discord_emulator, options, user)
            assert expected in text, (options, text)
    client = redis.Redis.from_url(scratch_redis_url)
    assert client.hlen(PENDING_KEY) == 0
    client.close()


async def test_zero_width_characters_are_stripped_from_the_seed(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        user = discord_emulator.add_user("zed")
        record = await discord_emulator.invoke("wiki", {"seed": "\u200bThe\u200d cat\ufeff", "length": 100},
                                               user=user)
        await discord_emulator.wait_for_callback(record, timeout=3)
        assert record.callback_type == CALLBACK_DEFERRED_MESSAGE
        await discord_emulator.wait_for_request(
            lambda r: record.token in r.path and r.method == "PATCH", 5, "the first progress edit")
        jobs = await bot.store.all_pending()
        assert [j.job["seed"] for j in jobs] == ["The cat"]
        assert jobs[0].job["top_p"] == contracts.WIKI_TOP_P_DEFAULT


async def test_top_p_travels_with_the_job(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        user = discord_emulator.add_user("nucleus")
        record = await discord_emulator.invoke("wiki", {"seed": "The cat", "top_p": 0.9}, user=user)
        await discord_emulator.wait_for_callback(record, timeout=3)
        assert record.callback_type == CALLBACK_DEFERRED_MESSAGE
        await discord_emulator.wait_for_request(
            lambda r: record.token in r.path and r.method == "PATCH", 5, "the first progress edit")
        jobs = await bot.store.all_pending()
        assert [(j.job["seed"], j.job["top_p"]) for j in jobs] == [("The cat", 0.9)]



async def test_guilds_outside_the_allow_list_are_refused(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, allowed_guild_ids=frozenset({1})):
        text = await _refusal(discord_emulator, {"seed": "hello"}, discord_emulator.add_user("u"))
    assert "not enabled in this server" in text


async def test_cooldown_and_concurrency_limits_say_when_to_try_again(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, cooldown_seconds=30.0,
                           max_concurrent_per_user=1) as bot:
        alice = discord_emulator.add_user("alice")
        first = await discord_emulator.invoke("wiki", {"seed": "first"}, user=alice)
        await discord_emulator.wait_for_callback(first, timeout=3)
        assert first.callback_type == CALLBACK_DEFERRED_MESSAGE
        text = await _refusal(discord_emulator, {"seed": "second"}, alice)
        assert "going a bit fast" in text and "<t:" in text and ":R>" in text
        await bot.backend.redis.delete(f"wikimuse:bot:limits:cooldown:{alice}")
        text = await _refusal(discord_emulator, {"seed": "third"}, alice)
        assert "already have 1 job(s) running" in text
        # Another user is not affected.
        bob = await discord_emulator.invoke("wiki", {"seed": "bob"}, user=discord_emulator.add_user("bob"))
        await discord_emulator.wait_for_callback(bob, timeout=3)
        assert bob.callback_type == CALLBACK_DEFERRED_MESSAGE


async def test_a_full_queue_and_a_spent_daily_quota_are_refused_politely(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, max_queue_length=1,
                           daily_quota_per_guild=2) as bot:
        first = await discord_emulator.invoke("wiki", {"seed": "one"}, user=discord_emulator.add_user("a"))
        await discord_emulator.wait_for_callback(first, timeout=3)
        await discord_emulator.wait_for_request(
            lambda r: first.token in r.path and r.method == "PATCH", 5, "the first progress edit")
        text = await _refusal(discord_emulator, {"seed": "two"}, discord_emulator.add_user("b"))
        assert "queue is full" in text
        await bot.backend.redis.delete("text")
        second = await discord_emulator.invoke("wiki", {"seed": "two"}, user=discord_emulator.add_user("c"))
        await discord_emulator.wait_for_callback(second, timeout=3)
        assert second.callback_type == CALLBACK_DEFERRED_MESSAGE
        text = await _refusal(discord_emulator, {"seed": "three"}, discord_emulator.add_user("d"))
        assert "used its 2 generations for today" in text and "<t:" in text


async def test_an_unreachable_redis_gets_a_clear_answer_not_silence(discord_emulator):
    from tests.emulator.fixtures import free_port

    async with running_bot(discord_emulator, redis_url=f"redis://127.0.0.1:{free_port()}/0"):
        text = await _refusal(discord_emulator, {"seed": "hello"}, discord_emulator.add_user("u"))
    assert "unavailable right now" in text


HARD_SEED = "The `tick` of_it {x} | y 😀 東京 \u202eevil"


async def test_a_seed_the_writer_cannot_spell_is_rewritten_and_the_user_told(discord_emulator, scratch_redis_url):
    from workers import contracts

    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        record = await discord_emulator.invoke("wiki", {"seed": HARD_SEED, "length": 100},
                                               user=discord_emulator.add_user("yuki"))
        await discord_emulator.wait_for_callback(record, timeout=3)
        assert record.callback_type == CALLBACK_DEFERRED_MESSAGE  # accepted, not refused
        await discord_emulator.wait_for(lambda: discord_emulator.original_edits(record), 5)
        (job,) = await bot.store.all_pending()
        seed = job.job["seed"]
        assert set(seed) <= contracts.WIKI_ALPHABET
        assert seed == "The 'tick' of it (x) / y DongJing evil"
        assert "“😀” left out" in job.note and "“東京” → “DongJing”" in job.note
        assert "1 text-direction control(s) removed" in job.note
        # The note reaches the user above whatever result comes (here: the job is cancelled).
        await bot.backend.cancel(job.job_id)
        final = await discord_emulator.wait_for(
            lambda: [e for e in discord_emulator.original_edits(record) if (e.json or {}).get("embeds")], 10)
        content = final[-1].json["content"]
        assert content.startswith("I changed your seed so the writer can spell it: ")
        assert "\u202e" not in content and "`" not in content.replace("\\`", "")


async def test_a_seed_with_nothing_the_writer_can_spell_is_refused_privately(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url):
        text = await _refusal(discord_emulator, {"seed": "😀👍🏽 \u202e"}, discord_emulator.add_user("emoji"))
    assert "can't spell any of that seed" in text
    client = redis.Redis.from_url(scratch_redis_url)
    assert client.hlen(PENDING_KEY) == 0 and client.llen("text") == 0
    client.close()


async def test_a_late_error_is_posted_as_an_error_and_quotes_the_seed_harmlessly(discord_emulator, scratch_redis_url):
    seed = "**Big** news https://discord.gg/abc <@&1>"
    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        user = discord_emulator.add_user("late")
        record = await discord_emulator.invoke("wiki", {"seed": seed}, user=user)
        await discord_emulator.wait_for_callback(record, timeout=3)
        await discord_emulator.wait_for(lambda: discord_emulator.original_edits(record), 5)
        (job,) = await bot.store.all_pending()
        discord_emulator.expire_tokens()  # as if 15 minutes passed: the result goes to the channel
        await bot.backend.cancel(job.job_id)
        post = await discord_emulator.wait_for_request(
            lambda r: r.method == "POST" and r.path == f"/channels/{record.channel_id}/messages", 10,
            "the late post")
    content = post.json["content"]
    assert content.startswith(f"<@{user}>, your article “") and content.endswith("could not be made:")
    assert "here is your" not in content
    for raw in ("**", "https://", "discord.gg/", "<@&"):
        assert raw not in content, (raw, content)
    assert post.json["embeds"][0]["title"] == "Cancelled"


@pytest.mark.parametrize("typed, written", [
    ("ﬁne Ａrt", "fine Art"),  # NFKC: a ligature, a full-width letter
    ("Café au lait", "Café au lait"),  # known characters stay as typed
    ("Привет мир", "Privet mir"),  # transliterated
    ("a\u202eb\u2066c\u2069", "abc"),  # bidirectional controls always go
    ("cats 😀😀 dogs", "cats dogs"),  # an emoji has no equivalent; the spaces it leaves collapse
    ("😀\u202e", ""),
])
def test_fit_alphabet(typed, written):
    from bot.validation import fit_alphabet
    from workers import contracts

    fitted = fit_alphabet(typed, contracts.WIKI_ALPHABET)
    assert fitted.text == written
    assert fitted.changed == (typed != written)
