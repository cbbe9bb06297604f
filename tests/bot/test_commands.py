"""/help, /about, /config, genre autocomplete, hand-typed genres and hostile seeds (no worker needed)."""

from __future__ import annotations

import json

import pytest

from bot.store import GuildConfig, PendingJob
from bot.views import derive_job
from tests.emulator.harness import running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, CALLBACK_MESSAGE, DiscordEmulator
from workers import contracts

pytestmark = pytest.mark.timeout(120)

NO_MENTIONS = {"parse": []}


async def answer(emulator: DiscordEmulator, command: str, options: dict, user: int, **kw) -> dict:
    record = await emulator.invoke(command, options, user=user, **kw)
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_MESSAGE and record.ephemeral, record.callback_json
    data = record.callback_json["data"]
    assert data["allowed_mentions"] == NO_MENTIONS
    return data


async def test_help_lists_every_command_and_about_shows_measured_models(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url):
        user = discord_emulator.add_user("newcomer")
        help_embed = (await answer(discord_emulator, "help", {}, user))["embeds"][0]
        names = [f["name"] for f in help_embed["fields"]]
        synced = discord_emulator.commands[None]
        slash = sorted(f"/{c['name']}" for c in synced if c["type"] == 1)
        # Every slash command, then every message context menu (right-click -> Apps).
        assert names == [*slash, "Right-click a message → Apps"]
        assert {"/wiki", "/compose", "/continue", "/queue", "/cancel", "/history", "/config"} <= set(names)
        menus = help_embed["fields"][-1]["value"]
        assert [c["name"] for c in synced if c["type"] == 3]
        for command in synced:
            if command["type"] == 3:
                assert f"**{command['name']}**: " in menus, (command["name"], menus)
        about = (await answer(discord_emulator, "about", {}, user))["embeds"][0]
        assert about["title"].startswith("About")
        shipped = {f["name"]: f["value"] for f in about.get("fields", [])}
        if shipped:  # checkpoints shipped in models/checkpoints carry their test metrics
            assert any("Measured:" in v for v in shipped.values()), shipped
    # Every command and option has a description (docstrings and describe()).
    for command in (c for c in discord_emulator.commands[None] if c["type"] == 1):
        assert command["description"] and command["description"] != "…", command["name"]
        for option in command.get("options", []):
            assert option["description"] and option["description"] != "…", (command["name"], option)


async def test_about_shows_each_genres_models_and_default_and_why(discord_emulator, scratch_redis_url, tmp_path):
    for kind, genre, chosen in (("nade", "chorale", True), ("lstm", "chorale", False), ("nade", "folk", True)):
        (tmp_path / f"music_{kind}_{genre}.keras").write_bytes(b"checkpoint")
        default = {"genre": genre, "kind": "nade", "chosen": chosen, "reason": "lowest comparable NLL"}
        if genre == "chorale":  # the genre's kinds as the workers offer them (a sidecar from before: none)
            default["kinds"] = ["lstm", "nade"]
        (tmp_path / f"music_{kind}_{genre}.json").write_text(json.dumps({
            "kind": kind, "genre": genre, "metrics": {"test_nll": 5.36}, "default": default}))
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, model_dir=tmp_path):
        user = discord_emulator.add_user("listener")
        about = (await answer(discord_emulator, "about", {}, user))["embeds"][0]
        assert about["description"].splitlines() == ["Each genre's models and its default (`model: best`):",
                                                     "**chorale** (lstm, nade): nade, lowest comparable NLL",
                                                     "**folk**: nade, lowest comparable NLL"]
        german = (await answer(discord_emulator, "about", {}, discord_emulator.add_user("hörer", locale="de")))
        assert german["embeds"][0]["description"].splitlines()[:2] == [
            "Die Modelle jedes Genres und sein Standardmodell (`modell: beste`):",
            "**chorale** (lstm, nade): nade, lowest comparable NLL"]


async def test_about_lists_every_installed_model_however_many_music_checkpoints_sort_first(
        discord_emulator, scratch_redis_url, tmp_path):
    # Thirty music checkpoints and a weights file that is no checkpoint all sort before the writer.
    (tmp_path / "genre_classifier.json").write_text(json.dumps({"genres": ["chorale"]}))
    kinds, genres = ("lstm", "nade", "rbm", "rnn_rbm", "seq2seq"), [f"g{i}" for i in range(6)]
    for kind in kinds:
        for genre in genres:
            (tmp_path / f"music_{kind}_{genre}.keras").write_bytes(b"checkpoint")
            (tmp_path / f"music_{kind}_{genre}.json").write_text(json.dumps(
                {"kind": kind, "genre": genre, "metrics": {"test_nll": 2.5}}))
    (tmp_path / "wiki_writer.keras").write_bytes(b"checkpoint")
    (tmp_path / "wiki_writer.json").write_text(json.dumps({"name": "wiki_writer", "test_bpc": 1.785}))
    async with running_bot(discord_emulator, redis_url=scratch_redis_url, model_dir=tmp_path):
        user = discord_emulator.add_user("curious")
        about = (await answer(discord_emulator, "about", {}, user))["embeds"][0]
    fields = {f["name"]: f["value"] for f in about["fields"]}
    assert set(fields) == {"wiki_writer"} | {f"music: {kind}" for kind in kinds}
    assert "test_bpc 1.785" in fields["wiki_writer"]
    for kind in kinds:
        assert all(f"{genre} test_nll 2.500" in fields[f"music: {kind}"] for genre in genres), fields


async def test_config_needs_manage_guild_and_restricts_channels_and_sets_a_default_genre(
        discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        member = discord_emulator.add_user("member")
        admin = discord_emulator.add_user("admin", admin=True)
        refused = await answer(discord_emulator, "config", {"cooldown": 5.0}, member)
        assert "Manage Server" in refused["content"]
        bots_channel = await discord_emulator.create_channel("bots")
        data = await answer(discord_emulator, "config",
                            {"channel": str(bots_channel), "channel_action": "allow",
                             "default_genre": "Jazz", "cooldown": 0.0, "max_queue": 5}, admin)
        fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
        assert fields["Channels"] == f"<#{bots_channel}>" and fields["Default genre"] == "jazz"
        assert fields["Max queue"] == "5"
        # Elsewhere, the generators politely decline.
        elsewhere = await answer(discord_emulator, "wiki", {"seed": "hi"}, member)
        assert f"only answer in <#{bots_channel}>" in elsewhere["content"]
        # In the allowed channel, /compose without a genre uses the default.
        record = await discord_emulator.invoke("compose", {"length": 5}, user=member, channel=bots_channel)
        await discord_emulator.wait_for_callback(record, timeout=3)
        assert record.callback_type == CALLBACK_DEFERRED_MESSAGE
        await discord_emulator.wait_for(lambda: discord_emulator.original_edits(record), 5)
        (job,) = await bot.store.all_pending()
        assert job.job["genre"] == "jazz" and job.job["seconds"] == 5
        bad = await answer(discord_emulator, "config", {"default_genre": "polka"}, admin)
        assert "don't know the genre" in bad["content"]


async def test_config_with_many_allowed_channels_stays_within_the_embed_limits(
        discord_emulator, scratch_redis_url):
    from tests.bot.test_presenters import assert_within_embed_limits

    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        admin = discord_emulator.add_user("admin", admin=True)
        channels = [discord_emulator.add_channel(f"room-{i}") for i in range(59)]
        channels.append(await discord_emulator.create_channel("room-59"))
        # 59 channels allowed already; /config allows the 60th (22 characters a mention).
        await bot.store.set_guild_config(discord_emulator.guild_id, GuildConfig(channels=tuple(channels[:-1])))
        data = await answer(discord_emulator, "config",
                            {"channel": str(channels[-1]), "channel_action": "allow"}, admin)
        embed = data["embeds"][0]
        assert_within_embed_limits(embed)
        value = {f["name"]: f["value"] for f in embed["fields"]}["Channels"]
        shown = value.count("<#")
        assert 40 <= shown < 60 and value.endswith(f" and {60 - shown} more"), value
        config = await bot.store.guild_config(discord_emulator.guild_id)
        assert len(config.channels) == 60  # all are allowed, only the list is cut


async def test_genre_autocomplete_and_hand_typed_genres(discord_emulator, scratch_redis_url):
    async with running_bot(discord_emulator, redis_url=scratch_redis_url):
        user = discord_emulator.add_user("composer")
        choices = await discord_emulator.autocomplete("compose", {"genre": "cla"}, "genre", user=user)
        assert [c["value"] for c in choices] == ["classical", "classical_piano"]
        everything = await discord_emulator.autocomplete("compose", {"genre": ""}, "genre", user=user)
        assert [c["value"] for c in everything] == sorted(contracts.GENRE_NAMES)
        for typed in ("polka", "<@123> @everyone", "**jazz**"):
            data = await answer(discord_emulator, "compose", {"genre": typed}, user)
            assert "don't know the genre" in data["content"] and "chorale" in data["content"]
        data = await answer(discord_emulator, "compose", {"genre": "jazz", "length": -3}, user)
        assert "Length must be a whole number from 5 to 120" in data["content"]
        data = await answer(discord_emulator, "compose", {"genre": "jazz", "seed": 2**40}, user)
        assert "Seed must be a whole number" in data["content"]
        data = await answer(discord_emulator, "compose", {"genre": "jazz", "model": "gpt"}, user)
        assert "Unknown model" in data["content"]


async def test_mentions_and_markdown_in_a_seed_are_kept_for_the_model_but_never_ping(
        discord_emulator, scratch_redis_url):
    seed = "@everyone <@&1> **bold** <code>"
    async with running_bot(discord_emulator, redis_url=scratch_redis_url) as bot:
        record = await discord_emulator.invoke("wiki", {"seed": seed}, user=discord_emulator.add_user("x"))
        await discord_emulator.wait_for_callback(record, timeout=3)
        await discord_emulator.wait_for(lambda: discord_emulator.original_edits(record), 5)
        (job,) = await bot.store.all_pending()
        assert job.job["seed"] == seed and job.note == ""
        for request in discord_emulator.requests_for(record):
            if request.method == "PATCH":
                assert request.json["allowed_mentions"] == NO_MENTIONS


def test_buttons_derive_new_jobs_within_bounds():
    wiki = PendingJob(job_id="a" * 32, task_name=contracts.TASK_WIKI, user_id=1, channel_id=2, guild_id=3,
                      job=contracts.WikiJob(job_id="a" * 32, seed="s", length=3000, temperature=1.9,
                                            rng_seed=5).to_dict(), label="article")
    regen, _ = derive_job(wiki, "regen")
    assert regen.rng_seed is None and regen.seed == "s" and regen.job_id != "a" * 32
    vary, _ = derive_job(wiki, "vary")
    assert vary.rng_seed == 5 and contracts.TEMPERATURE_MIN <= vary.temperature <= contracts.TEMPERATURE_MAX
    assert vary.temperature != 1.9
    longer, _ = derive_job(wiki, "longer")
    assert longer.length == contracts.WIKI_LENGTH_MAX
    compose = PendingJob(job_id="b" * 32, task_name=contracts.TASK_COMPOSE, user_id=1, channel_id=2,
                         guild_id=3, job=contracts.ComposeJob(job_id="b" * 32, genre="jazz",
                                                              seconds=90).to_dict(), label="jazz piece")
    other, label = derive_job(compose, "genre", "folk")
    assert other.genre == "folk" and label.startswith("folk version of")
    assert derive_job(compose, "longer")[0].seconds == contracts.MUSIC_SECONDS_MAX
