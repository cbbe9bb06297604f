"""Results where the bot cannot simply reply: a private channel (the user-installed app
answers only through its interaction's webhook) and a forum (the result goes to a post of
its own). Emulator -> real bot -> Redis -> Celery worker (tiny model) -> the result."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.harness import clear_bot_state, running_bot
from tests.emulator.server import DiscordEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def posted_with_embeds(emulator: DiscordEmulator, channel_id: int) -> list:
    return [r for r in emulator.requests_matching("POST", f"/channels/{channel_id}/messages")
            if r.status == 200 and (r.json or {}).get("embeds")]


async def test_articles_reach_a_private_channel_by_webhook_and_a_forum_in_a_post(
        discord_emulator, redis_url, celery_worker, tmp_path):
    emulator = discord_emulator
    clear_bot_state(redis_url)
    alice, bob = emulator.add_user("alice"), emulator.add_user("bob")
    group = emulator.add_private_channel(alice, bob)
    forum = emulator.add_channel("articles", forum=True)
    async with running_bot(emulator, redis_url=redis_url, data_dir=tmp_path):
        in_group, in_forum = await asyncio.gather(
            emulator.invoke("wiki", {"seed": "The river", "length": 100}, user=alice, channel=group),
            emulator.invoke("wiki", {"seed": "The castle", "length": 100}, user=bob, channel=forum))

        def article_in_group() -> dict | None:
            message = emulator.original_message(in_group)
            return message if message and message["embeds"] else None

        article = await emulator.wait_for(article_in_group, 120, "the article in the group DM")
        assert article["embeds"][0]["description"].startswith("**The river**")
        edits = emulator.original_edits(in_group)
        assert edits[-1].status == 200 and edits[-1].json["embeds"]
        assert article["channel_id"] == str(group) and "guild_id" not in article

        [post] = [r for r in emulator.requests_matching("POST", f"/channels/{forum}/threads")]
        thread = int(post.response["id"])
        [result] = await emulator.wait_for(lambda: posted_with_embeds(emulator, thread), 120,
                                           "the article in its forum post")
        assert result.json["content"].startswith(f"<@{bob}>, here is your article “The castle”")
        assert result.json["allowed_mentions"]["users"] == [bob]
        assert result.json["embeds"][0]["description"].startswith("**The castle**")
        # The private deferral points to the post, and was never overwritten by the result.
        assert emulator.original_message(in_forum)["content"].endswith(f"<#{thread}>")
        assert not any(e.json.get("embeds") for e in emulator.original_edits(in_forum))
    # The bot never tried the group DM with its own token: it is not a member there.
    assert not emulator.requests_matching(contains=f"/channels/{group}")
