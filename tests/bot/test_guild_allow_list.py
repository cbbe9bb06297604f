"""Outside ALLOWED_GUILD_IDS the bot answers every interaction in the form Discord accepts."""

from __future__ import annotations

import pytest

from tests.emulator.harness import running_bot
from tests.emulator.server import CALLBACK_AUTOCOMPLETE, CALLBACK_MESSAGE

pytestmark = pytest.mark.timeout(120)


async def test_autocomplete_outside_the_allow_list_gets_no_choices_not_a_message(
        discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, allowed_guild_ids=frozenset({1})):
        user = discord_emulator.add_user("u")
        typing = await discord_emulator.autocomplete_interaction("compose", {"genre": "cla"}, "genre", user=user)
        command = await discord_emulator.invoke("compose", {"genre": "classical"}, user=user)
        await discord_emulator.wait_for_callback(command)
    # Discord takes only type 8 for autocomplete (any other: 400 50035 on every keystroke).
    assert typing.callback_attempts == [CALLBACK_AUTOCOMPLETE]
    assert typing.callback_json["data"] == {"choices": []}
    assert command.callback_type == CALLBACK_MESSAGE and command.ephemeral
    assert "not enabled in this server" in command.callback_json["data"]["content"]
    assert not discord_emulator.rejected()
