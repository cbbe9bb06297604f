"""The /challenge command group's schema: what Discord accepts and members see."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.cogs.challenges.commands import Challenges
from bot.cogs.challenges.views import VoteButton, vote_custom_id


def schema() -> dict:
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    return Challenges.challenge.to_dict(tree)


def test_subcommands_and_guild_only() -> None:
    data = schema()
    assert data["name"] == "challenge" and data["dm_permission"] is False
    names = [o["name"] for o in data["options"]]
    assert names == ["create", "submit", "start-voting", "list", "leaderboard", "cancel"]


def test_every_description_fits_and_every_parameter_is_described() -> None:
    for sub in schema()["options"]:
        assert 1 <= len(sub["description"]) <= 100, sub["name"]
        assert sub["description"] != "…"
        for option in sub.get("options", []):
            assert 1 <= len(option["description"]) <= 100, (sub["name"], option["name"])
            assert option["description"] != "…", (sub["name"], option["name"])


def test_vote_custom_ids_round_trip_and_fit_discords_limit() -> None:
    custom_id = vote_custom_id(2**62, 2**62 - 1)
    assert len(custom_id) <= 100
    match = VoteButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    assert (int(match["challenge"]), int(match["submission"])) == (2**62, 2**62 - 1)
    assert VoteButton.__discord_ui_compiled_template__.fullmatch("wikimuse:regen:abc") is None
