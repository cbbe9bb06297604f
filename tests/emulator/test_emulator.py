"""The emulator speaks Discord well enough for the real, unmodified discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.emulator.server import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    DiscordEmulator,
    Upload,
)


def _plain_bot() -> commands.Bot:
    return commands.Bot(command_prefix=commands.when_mentioned, intents=discord.Intents(guilds=True),
                        allowed_mentions=discord.AllowedMentions.none())


@contextlib.asynccontextmanager
async def connected(bot: commands.Bot, emulator: DiscordEmulator) -> AsyncIterator[commands.Bot]:
    async with bot:
        task = asyncio.create_task(bot.start(emulator.token))
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        try:
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


async def test_discord_py_logs_in_and_receives_ready_and_guild(discord_emulator: DiscordEmulator):
    bot = _plain_bot()
    async with connected(bot, discord_emulator):
        assert bot.user is not None and bot.user.id == discord_emulator.application_id
        assert bot.application_id == discord_emulator.application_id
        guild = bot.get_guild(discord_emulator.guild_id)
        assert guild is not None and not guild.unavailable
        assert [c.name for c in guild.text_channels] == ["general"]
        assert {r.name for r in guild.roles} == {"@everyone", "admin"}
        session = discord_emulator.active_session
        assert session is not None and session.identify["token"] == discord_emulator.token
        await discord_emulator.wait_for(lambda: discord_emulator.heartbeats >= 1, 5, "a heartbeat")
    routes = [r.route for r in discord_emulator.requests]
    assert routes[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]


async def test_rest_answers_exactly_application_json_and_checks_the_token(discord_emulator):
    async with aiohttp.ClientSession() as session:
        url = f"{discord_emulator.api_base}/users/@me"
        async with session.get(url, headers={"Authorization": f"Bot {discord_emulator.token}"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(discord_emulator.application_id)
        async with session.get(url, headers={"Authorization": "Bot wrong"}) as resp:
            assert resp.status == 401


async def test_a_wrong_token_fails_login(discord_emulator):
    bot = _plain_bot()
    async with bot:
        with pytest.raises(discord.LoginFailure):
            await bot.login("not-the-token")


async def test_sync_invoke_defer_and_edit_with_a_file(discord_emulator):
    bot = _plain_bot()
    received: list[tuple[str, int]] = []

    @bot.tree.command()
    @discord.app_commands.describe(word="a word", count="a number")
    async def echo(interaction: discord.Interaction, word: str, count: int = 1) -> None:
        """Echo a word."""
        received.append((word, count))
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(
            content=word * count, attachments=[discord.File(io.BytesIO(b"hello"), "hello.txt")],
            embed=discord.Embed(title="t", description="d"))
        followup = await interaction.followup.send(
            "more", file=discord.File(io.BytesIO(b"\x00\x01"), "data.bin"), ephemeral=True, wait=True)
        fetched = await interaction.original_response()
        received.append((fetched.content, followup.id))
        await followup.delete()

    async with connected(bot, discord_emulator):
        synced = await bot.tree.sync()
        assert [c.name for c in synced] == ["echo"]
        assert discord_emulator.commands[None][0]["options"][1]["type"] == 4  # integer
        user = discord_emulator.add_user("alice")
        record = await discord_emulator.invoke("echo", {"word": "ab", "count": 2}, user=user)
        await discord_emulator.wait_for(lambda: len(received) == 2, 5, "the followup")
    assert received[0] == ("ab", 2) and received[1][0] == "abab"
    followup_post = next(r for r in discord_emulator.requests_for(record) if r.method == "POST"
                         and r.path.endswith(record.token))
    assert followup_post.json["content"] == "more" and followup_post.json["flags"] == 64
    assert [(f.filename, f.data) for f in followup_post.files] == [("data.bin", b"\x00\x01")]
    assert record.followup_ids == [received[1][1]] and received[1][1] not in discord_emulator.messages
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE and record.deferral_seconds < 1
    message = discord_emulator.original_message(record)
    assert message["content"] == "abab" and message["embeds"][0]["title"] == "t"
    assert discord_emulator.files_of(message) == {"hello.txt": b"hello"}
    edit = discord_emulator.original_edits(record)[-1]
    assert [f.filename for f in edit.files] == ["hello.txt"] and edit.files[0].data == b"hello"
    assert message["flags"] & 128 == 0  # no longer "thinking"


async def test_late_and_double_callbacks_are_refused_like_discord(discord_emulator):
    discord_emulator.callback_deadline = 0.3
    bot = _plain_bot()
    outcomes: list[str] = []

    @bot.tree.command()
    async def slow(interaction: discord.Interaction) -> None:
        """Answer too late."""
        await asyncio.sleep(0.5)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as exc:
            outcomes.append(f"late:{exc.code}")

    @bot.tree.command()
    async def twice(interaction: discord.Interaction) -> None:
        """Answer twice through the raw HTTP route."""
        await interaction.response.send_message("one")
        try:
            await bot.http.request(discord.http.Route(
                "POST", "/interactions/{i}/{t}/callback", i=interaction.id, t=interaction.token),
                json={"type": 4, "data": {"content": "two"}})
        except discord.HTTPException as exc:
            outcomes.append(f"twice:{exc.code}")

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        await discord_emulator.invoke("slow")
        await discord_emulator.invoke("twice")
        await discord_emulator.wait_for(lambda: len(outcomes) == 2, 5, "both outcomes")
    assert sorted(outcomes) == ["late:10062", "twice:40060"]


async def test_expired_tokens_are_rejected_for_webhook_edits(discord_emulator):
    bot = _plain_bot()
    errors: list[int] = []

    @bot.tree.command()
    async def later(interaction: discord.Interaction) -> None:
        """Defer, then edit after the token expired."""
        await interaction.response.defer()
        discord_emulator.expire_tokens()
        try:
            await interaction.edit_original_response(content="too late")
        except discord.HTTPException as exc:
            errors.append(exc.code)

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        await discord_emulator.invoke("later")
        await discord_emulator.wait_for(lambda: errors, 5, "the edit to fail")
    assert errors == [50027]


async def test_resume_after_reconnect_replays_missed_events(discord_emulator):
    bot = _plain_bot()
    seen: list[str] = []

    @bot.tree.command()
    async def hello(interaction: discord.Interaction) -> None:
        """Say hello."""
        seen.append(interaction.user.name)
        await interaction.response.send_message("hi")

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        session = discord_emulator.active_session
        await discord_emulator.request_reconnect()
        # Dispatched while the client is away: buffered, then replayed on RESUME.
        await discord_emulator.invoke("hello")
        await discord_emulator.wait_for(lambda: session.resumes == 1 and seen, 10, "resume + replay")
    assert discord_emulator.identifies == 1
    assert seen == ["owner"]


async def test_components_autocomplete_and_attachments(discord_emulator):
    bot = _plain_bot()
    clicks: list[str] = []

    class Buttons(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)

        @discord.ui.button(label="Press", custom_id="press:1")
        async def press(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            clicks.append(interaction.data["custom_id"])
            await interaction.response.defer()

    @bot.tree.command()
    @discord.app_commands.describe(name="pick one", file="a file")
    async def tool(interaction: discord.Interaction, name: str, file: discord.Attachment) -> None:
        """Read an attachment and show a button."""
        data = await file.read()
        await interaction.response.send_message(f"{name}:{file.filename}:{len(data)}", view=Buttons())

    @tool.autocomplete("name")
    async def _names(interaction: discord.Interaction, current: str) -> list[discord.app_commands.Choice[str]]:
        return [discord.app_commands.Choice(name=n, value=n) for n in ("jazz", "folk") if current in n]

    async with connected(bot, discord_emulator):
        bot.add_view(Buttons())
        await bot.tree.sync()
        choices = await discord_emulator.autocomplete("tool", {"name": "az"}, focused="name")
        assert choices == [{"name": "jazz", "value": "jazz"}]
        record = await discord_emulator.invoke(
            "tool", {"name": "jazz", "file": Upload("a.mid", b"MThd" + b"\0" * 10, "audio/midi")})
        await discord_emulator.wait_for_callback(record)
        assert record.callback_type == CALLBACK_MESSAGE
        message = discord_emulator.original_message(record)
        assert message["content"] == "jazz:a.mid:14"
        assert message["components"][0]["components"][0]["custom_id"] == "press:1"
        click = await discord_emulator.click(int(message["id"]), "press:1")
        await discord_emulator.wait_for_callback(click)
    assert clicks == ["press:1"]


def _sharded_bot(**kwargs) -> commands.AutoShardedBot:
    return commands.AutoShardedBot(command_prefix=commands.when_mentioned, intents=discord.Intents(guilds=True),
                                   allowed_mentions=discord.AllowedMentions.none(), **kwargs)


async def test_gateway_bot_recommends_the_shard_count_and_each_shard_gets_its_guilds(discord_emulator):
    discord_emulator.shard_count = 3
    added = [discord_emulator.add_guild(f"guild {i}")[0] for i in range(5)]
    bot = _sharded_bot()
    async with connected(bot, discord_emulator):
        assert bot.shard_count == 3 and sorted(bot.shards) == [0, 1, 2]
        assert {g.id for g in bot.guilds} == {discord_emulator.guild_id, *added}
        for guild in bot.guilds:
            assert guild.shard_id == (guild.id >> 22) % 3
    shards = sorted(s.identify["shard"] for s in discord_emulator.sessions.values())
    assert shards == [[0, 3], [1, 3], [2, 3]]
    # Successive guilds spread over the shards.
    assert {(g >> 22) % 3 for g in added} == {0, 1, 2}


async def test_two_processes_split_the_shards_and_each_gets_its_guilds_interactions(discord_emulator):
    channels = dict(discord_emulator.add_guild(f"guild {i}") for i in range(6))
    seen: dict[int, list[int]] = {0: [], 1: []}

    def bot_for(shard: int) -> commands.AutoShardedBot:
        bot = _sharded_bot(shard_count=2, shard_ids=[shard])

        @bot.tree.command()
        async def hello(interaction: discord.Interaction) -> None:
            """Say hello."""
            seen[shard].append(interaction.guild_id)
            await interaction.response.send_message("hi")

        return bot

    bots = [bot_for(0), bot_for(1)]
    async with connected(bots[0], discord_emulator), connected(bots[1], discord_emulator):
        await bots[0].tree.sync()
        for shard, bot in enumerate(bots):
            assert {g.id for g in bot.guilds} == {
                g for g in discord_emulator.guild_names if (g >> 22) % 2 == shard}
        records = [await discord_emulator.invoke("hello", channel=c) for c in channels.values()]
        for record in records:
            await discord_emulator.wait_for_callback(record)
    for shard in (0, 1):
        assert sorted(seen[shard]) == sorted(g for g in channels if (g >> 22) % 2 == shard)
    assert seen[0] and seen[1]
    # An identify for a shard that cannot exist is refused, as Discord does (4010).
    async with aiohttp.ClientSession() as http, http.ws_connect(discord_emulator.gateway_url) as ws:
        await ws.receive_json()  # HELLO
        await ws.send_json({"op": 2, "d": {"token": discord_emulator.token, "shard": [2, 2],
                                           "properties": {}, "intents": 1}})
        await ws.receive()
        assert ws.close_code == 4010
