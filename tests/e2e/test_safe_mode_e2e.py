"""Safe mode end to end: the guild's content filter turns it on, /config adds words and turns
it off, and the article (seed included) is masked before it is posted."""

from __future__ import annotations

import json
import re

import discord
import pytest

from bot import safety
from tests.emulator.harness import clear_bot_state, running_bot
from tests.emulator.server import CALLBACK_MESSAGE, DiscordEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


async def _config(emulator: DiscordEmulator, options: dict, user: int) -> dict[str, str]:
    record = await emulator.invoke("config", options, user=user)
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_MESSAGE and record.ephemeral, record.callback_json
    data = record.callback_json["data"]
    assert data.get("embeds"), data
    return {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}


async def _article(emulator: DiscordEmulator, seed: str, user: int) -> dict:
    record = await emulator.invoke("wiki", {"seed": seed, "length": 150, "temperature": 0.7}, user=user)
    message = await emulator.wait_for(
        lambda: (m := emulator.original_message(record)) and m["embeds"] and m, 120, "the article")
    return message["embeds"][0]


def _shown(embed: dict) -> str:
    return json.dumps([embed.get("title"), embed.get("description"), embed.get("fields")])


async def test_safe_mode_follows_the_content_filter_masks_the_seed_and_guild_words_and_turns_off(
        discord_emulator, redis_url, celery_worker):
    clear_bot_state(redis_url)
    word = next(w for w in safety.default_words() if not w.endswith("*"))
    seed = f"The {word} zebra of"
    masked_seed = safety.Blocklist([word, "zebra"]).mask(seed, markdown=True)
    async with running_bot(discord_emulator, redis_url=redis_url) as bot:
        admin = discord_emulator.add_user("admin", admin=True)
        reader = discord_emulator.add_user("reader")
        fields = await _config(discord_emulator, {}, admin)
        assert fields["Safe mode"].startswith("off (")
        # The server starts scanning every member's media: safe mode follows its setting.
        await discord_emulator.dispatch("GUILD_UPDATE", {**discord_emulator.guild_payload(),
                                                         "explicit_content_filter": 2})
        guild = bot.get_guild(discord_emulator.guild_id)
        await discord_emulator.wait_for(
            lambda: guild.explicit_content_filter is discord.ContentFilter.all_members, 5, "GUILD_UPDATE")
        fields = await _config(discord_emulator, {"word_action": "add", "blocked_word": "Zebra"}, admin)
        assert fields["Safe mode"] == "on (this server's content filter or age setting)"
        listed = await _config(discord_emulator, {"word_action": "list"}, admin)
        assert listed["This server's words"] == "||zebra||"

        embed = await _article(discord_emulator, seed, reader)
        assert embed["description"].startswith(f"**{masked_seed}**"), embed["description"][:80]
        # The bot records the history just after the result goes out: wait for that row.
        await discord_emulator.wait_for(lambda: bot.database.history.recent(reader, limit=1), 10, "the history")
        history = await discord_emulator.invoke("history", {}, user=reader)
        await discord_emulator.wait_for_callback(history, timeout=3)
        listed_history = history.callback_json["data"]["embeds"][0]["description"]
        assert masked_seed in listed_history, listed_history  # /history quotes the masked seed
        for blocked in (word, "zebra"):
            for shown in (_shown(embed), listed_history):
                assert not re.search(rf"(?<!\w){blocked}(?!\w)", shown, re.IGNORECASE), blocked

        # The admins turn it off: the same seed comes back as typed.
        fields = await _config(discord_emulator, {"safe_mode": "off"}, admin)
        assert fields["Safe mode"] == "off (set with /config)"
        embed = await _article(discord_emulator, seed, reader)
        assert embed["description"].startswith(f"**{seed}**"), embed["description"][:80]

        refused = await discord_emulator.invoke("config", {"word_action": "remove", "blocked_word": "okapi"},
                                                user=admin)
        await discord_emulator.wait_for_callback(refused, timeout=3)
        assert "not on this server's list" in refused.callback_json["data"]["content"]
        member = await discord_emulator.invoke("config", {"safe_mode": "off"}, user=reader)
        await discord_emulator.wait_for_callback(member, timeout=3)
        assert "Manage Server" in member.callback_json["data"]["content"]
