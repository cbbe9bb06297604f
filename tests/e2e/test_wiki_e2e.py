"""/wiki end to end: emulator -> real bot -> Redis -> Celery worker -> TensorFlow -> reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulator.harness import assert_progress_edits, clear_bot_state, running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, DiscordEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

NO_MENTIONS = {"parse": []}


def _article(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


async def _assert_wiki_flow(emulator: DiscordEmulator, seed: str, timeout: float) -> dict:
    user = emulator.add_user("alice")
    record = await emulator.invoke("wiki", {"seed": seed, "length": 150, "temperature": 0.7}, user=user)
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE
    assert record.deferral_seconds < 3
    assert not record.ephemeral

    message = await emulator.wait_for(lambda: _article(emulator, record), timeout, "the article")
    embed = message["embeds"][0]
    # The article begins with the seed, in bold.
    assert embed["description"].startswith(f"**{seed}**")
    assert embed["title"]
    assert "seed" in embed["footer"]["text"]

    edits = emulator.original_edits(record)
    assert edits[-1].json["embeds"] and edits[-1].json.get("content") is None
    assert_progress_edits(edits, ("queued", "writing"))
    # Nothing the bot sent could ping anyone.
    for request in emulator.requests_for(record):
        body = request.json or {}
        if request.method != "GET" and ("content" in body or "embeds" in body or "data" in body):
            mentions = body.get("allowed_mentions") or (body.get("data") or {}).get("allowed_mentions")
            assert mentions == NO_MENTIONS, request.route
    return message


async def test_wiki_through_redis_celery_and_tensorflow(discord_emulator, redis_url, celery_worker):
    clear_bot_state(redis_url)
    async with running_bot(discord_emulator, redis_url=redis_url):
        message = await _assert_wiki_flow(discord_emulator, "The history of", timeout=120)
        ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
        job_id = ids[0].rsplit(":", 1)[1]
        assert ids == [f"wm:regen:{job_id}", f"wm:vary:{job_id}", f"wm:longer:{job_id}", f"wm:edit:{job_id}"]
        # Regenerate: a new article from the same seed, as a new reply.
        user = discord_emulator.interactions[next(iter(discord_emulator.interactions))].user_id
        click = await discord_emulator.click(int(message["id"]), ids[0], user=user)
        await discord_emulator.wait_for_callback(click, timeout=3)
        assert click.callback_type == CALLBACK_DEFERRED_MESSAGE and click.deferral_seconds < 3
        again = await discord_emulator.wait_for(lambda: _article(discord_emulator, click), 120)
        assert again["embeds"][0]["description"].startswith("**The history of**")
        assert again["id"] != message["id"]


async def test_wiki_in_embedded_mode(discord_emulator, tiny_model_dir: Path, tmp_path: Path):
    """No REDIS_URL: the bot starts ``python -m workers.embedded serve`` and uses it."""
    env = {"MODEL_DIR": str(tiny_model_dir), "LOG_FORMAT": "text"}
    async with running_bot(discord_emulator, redis_url=None, embedded_env=env,
                           ready_timeout=180) as bot:
        assert bot.backend.redis_url.startswith("redis://")
        await _assert_wiki_flow(discord_emulator, "Robert Boulter is", timeout=180)
