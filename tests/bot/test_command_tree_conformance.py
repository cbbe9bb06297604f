"""The bot's whole command tree, as it registers it, fits Discord's spec and documented limits."""

from __future__ import annotations

import pytest

from bot.client import EXTENSIONS
from tests.emulator.harness import running_bot
from tests.emulator.rules import CHAT_INPUT, MESSAGE_COMMAND, check_commands, valid_command_name
from tests.emulator.spec import discord_spec

pytestmark = pytest.mark.timeout(120)


def walk(items: list[dict], prefix: str = ""):
    """Every command, subcommand and option, with its full name."""
    for item in items:
        name = f"{prefix} {item['name']}".strip()
        yield name, item
        yield from walk(item.get("options") or [], name)


async def test_the_command_tree_with_every_cog_conforms(discord_emulator, scratch_redis_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=scratch_redis_url, extensions=EXTENSIONS) as bot:
        exported = [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
    [sync] = emulator.requests_matching("PUT", "/commands")
    assert sync.status == 200, sync.response
    assert sorted(c["name"] for c in sync.json) == sorted(c["name"] for c in exported)
    for tree in (exported, sync.json):
        path = f"/applications/{emulator.application_id}/commands"
        assert not discord_spec().validate("PUT", path, tree, "application/json")
        assert not check_commands(tree)
    # Every cog contributed, and every name and description is one Discord shows.
    assert {"wiki", "compose", "continue", "help", "challenge"} <= {c["name"] for c in exported}
    # The message context menus (right-click -> Apps): type 3, a name, nothing else.
    menus = [c for c in exported if c.get("type") == MESSAGE_COMMAND]
    assert {c["name"] for c in menus} == {"Continue this MIDI", "Write more", "Variation"}
    for menu in menus:
        assert 1 <= len(menu["name"]) <= 32 and not menu.get("description") and not menu.get("options"), menu
    for name, item in walk([c for c in exported if c.get("type", CHAT_INPUT) == CHAT_INPUT]):
        assert valid_command_name(item["name"]), name
        assert 1 <= len(item.get("description") or "") <= 100, name
        assert not (item.get("autocomplete") and item.get("choices")), name
    # As synced, with the German and Spanish localizations (the same rules, in every locale).
    for name, item in walk([c for c in sync.json if c.get("type", CHAT_INPUT) == CHAT_INPUT]):
        assert item.get("name_localizations"), name
        assert all(valid_command_name(n) for n in item["name_localizations"].values()), name
        assert all(1 <= len(d) <= 100 for d in (item.get("description_localizations") or {}).values()), name
        for choice in item.get("choices") or []:
            assert all(1 <= len(n) <= 100 for n in (choice.get("name_localizations") or {}).values()), name
    for menu in (c for c in sync.json if c.get("type") == MESSAGE_COMMAND):
        assert all(1 <= len(n) <= 32 for n in menu["name_localizations"].values()), menu
