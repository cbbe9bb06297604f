"""The emulator says no as Discord does: spec, limits, interactions, permissions, rate limits."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator import payloads as p
from tests.emulator.ratelimits import template_of
from tests.emulator.rules import check_commands, check_message, check_modal
from tests.emulator.server import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MODAL,
    DiscordEmulator,
    EmulatorError,
)
from tests.emulator.spec import discord_spec
from tests.emulator.test_emulator import _plain_bot, connected


async def rest(emulator: DiscordEmulator, method: str, path: str, body: Any = None, *,
               data: Any = None) -> tuple[int, Any, Any]:
    """One raw request with the bot token: (status, JSON body, headers)."""
    async with aiohttp.ClientSession() as session, session.request(
            method, emulator.api_base + path, json=body, data=data,
            headers={"Authorization": f"Bot {emulator.token}"}) as resp:
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, body, resp.headers


def multipart(payload: dict[str, Any], *files: tuple[str, bytes]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for i, (name, data) in enumerate(files):
        form.add_field(f"files[{i}]", data, filename=name, content_type="application/octet-stream")
    return form


# --- spec and documented limits ----------------------------------------------------


def test_spec_routes_and_discords_error_tree():
    spec = discord_spec()
    assert spec.route("PATCH", "/webhooks/1/t/messages/@original").endswith("/messages/@original")
    assert spec.route("PATCH", "/webhooks/1/t/messages/5").endswith("/messages/{message_id}")
    errors = spec.validate("POST", "/interactions/1/t/callback",
                           {"type": 4, "data": {"embeds": [{"title": "t" * 257}]}}, "application/json")
    assert errors.body() == {"code": 50035, "message": "Invalid Form Body", "errors": {"data": {"embeds": {
        "0": {"title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                     "message": "Must be 256 or fewer in length."}]}}}}}}
    # Unions list the allowed shapes: an empty choice list fits all three and is valid.
    assert not spec.validate("POST", "/interactions/1/t/callback",
                             {"type": 8, "data": {"choices": []}}, "application/json")
    # Snowflakes may be ints (discord.py sends attachment ids so), integers may be strings.
    assert not spec.validate("POST", "/channels/1/messages",
                             {"attachments": [{"id": 0, "filename": "a.png"}], "flags": "4096"},
                             "multipart/form-data")


def test_documented_limits_beyond_the_spec():
    assert repr(check_message({"content": "x" * 2001})) == "content: Must be 2000 or fewer in length."
    big = [{"title": "t" * 256, "description": "d" * 4000}, {"description": "d" * 2000}]
    assert "Embed size exceeds maximum size of 6000" in repr(check_message({"embeds": big}))
    assert "embeds.0.fields.0.value" in repr(check_message({"embeds": [{"fields": [{"name": "n", "value": ""}]}]}))
    rows = [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "x" * 101, "label": "l"}]}] * 6
    text = repr(check_message({"components": rows}))
    assert "components: Must be 5 or fewer" in text and "components.0.components.0.custom_id" in text
    commands = [{"name": "Wiki", "description": "d", "type": 1},
                {"name": "ok", "description": "", "type": 1, "options": [
                    {"name": "a", "description": "a", "type": 3},
                    {"name": "b", "description": "b", "type": 3, "required": True,
                     "choices": [{"name": str(i), "value": str(i)} for i in range(26)]}]}]
    text = repr(check_commands(commands))
    for where in ("0.name", "1.description", "1.options.1: Required options", "1.options.1.choices"):
        assert where in text, text


def test_modal_and_context_menu_limits():
    def text_input(**extra: Any) -> dict[str, Any]:
        return {"type": 1, "components": [{"type": 4, "custom_id": "c", "style": 1, "label": "l", **extra}]}

    assert not check_modal({"custom_id": "m", "title": "t", "components": [text_input(value="v")] * 5})
    text = repr(check_modal({"custom_id": "m" * 101, "title": "t" * 46, "components": [text_input()] * 6}))
    for where in ("data.title", "data.custom_id", "data.components: Must be between 1 and 5"):
        assert where in text, text
    text = repr(check_modal({"custom_id": "m", "title": "t", "components": [
        text_input(label="l" * 46), text_input(value="v" * 11, max_length=10),
        text_input(min_length=5, max_length=4), text_input(max_length=4001),
        {"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "b", "label": "button"}]}]}))
    for where in ("components.0.components.0.label", "components.1.components.0.value",
                  "components.2.components.0.min_length", "components.3.components.0.max_length",
                  "components.4.components.0.type"):
        assert where in text, text
    assert "data.components" in repr(check_modal({"custom_id": "m", "title": "t", "components": []}))
    # Message commands: any case and spaces, up to 32 characters, no description or options;
    # their names may repeat a slash command's.
    menus = [{"name": "Write more", "type": 3}, {"name": "write", "description": "d", "type": 1},
             {"name": "write", "type": 3}, {"name": "x" * 33, "type": 3},
             {"name": "Bad", "type": 3, "description": "no", "options": [{"name": "a", "type": 3}]},
             {"name": "Write more", "type": 3}]
    text = repr(check_commands(menus))
    assert "0." not in text and "1." not in text and "2." not in text, text
    for where in ("3.name", "4.description", "4.options", "5.name: Application command names must be unique"):
        assert where in text, text


async def test_message_commands_and_modals_in_the_emulator(discord_emulator):
    discord_emulator.expect_invalid = True
    bot = _plain_bot()
    seen: list[str] = []
    codes: list[int] = []

    class Ask(discord.ui.Modal, title="Name it"):
        name: discord.ui.TextInput = discord.ui.TextInput(label="Name", max_length=10)

        async def on_submit(self, interaction: discord.Interaction) -> None:
            seen.append(self.name.value)
            try:  # a modal in answer to a modal: Discord refuses it
                await interaction.response.send_modal(Ask())
            except discord.HTTPException as exc:
                codes.append(exc.code)

    @bot.tree.context_menu(name="Name this")
    async def name_this(interaction: discord.Interaction, message: discord.Message) -> None:
        seen.append(f"{message.content} by {message.author.name}")
        await interaction.response.send_modal(Ask())

    @bot.tree.context_menu(name="Too long")
    async def too_long(interaction: discord.Interaction, message: discord.Message) -> None:
        modal = discord.ui.Modal(title="a title of more than forty-five characters, far too long")
        modal.add_item(discord.ui.TextInput(label="l"))
        try:
            await interaction.response.send_modal(modal)
        except discord.HTTPException as exc:
            codes.append(exc.code)

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        assert {c["name"]: c["type"] for c in discord_emulator.commands[None]} == {"Name this": 3, "Too long": 3}
        alice = discord_emulator.add_user("alice")
        message = discord_emulator.post_user_message("hello", user=alice)
        with pytest.raises(EmulatorError, match="no message command"):
            await discord_emulator.message_command("Nope", int(message["id"]))
        record = await discord_emulator.wait_for_callback(
            await discord_emulator.message_command("Name this", int(message["id"])))
        assert record.callback_type == CALLBACK_MODAL
        assert record.payload["data"]["target_id"] == message["id"]
        with pytest.raises(EmulatorError, match="does not submit 0 characters"):
            await discord_emulator.submit_modal(record, {"Name": ""})  # required
        await discord_emulator.submit_modal(record, {"Name": "Bob"})
        await discord_emulator.wait_for(lambda: codes, 5, "the refused modal")
        await discord_emulator.message_command("Too long", int(message["id"]))
        await discord_emulator.wait_for(lambda: len(codes) == 2, 5, "the refused title")
    assert seen == ["hello by alice", "Bob"] and codes == [50035, 50035]
    assert [r.rule for r in discord_emulator.invalid_requests()] == ["interactions", "spec"]


async def test_an_invalid_body_answers_400_50035_and_is_counted(discord_emulator: DiscordEmulator):
    channel = discord_emulator.default_channel_id
    status, body, _ = await rest(discord_emulator, "POST", f"/channels/{channel}/messages",
                                 {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035
    assert body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    status, body, _ = await rest(discord_emulator, "PUT", f"/applications/{discord_emulator.application_id}/commands",
                                 [{"name": "Bad Name", "description": "x", "type": 1}])
    assert status == 400 and "name" in body["errors"]["0"]
    assert not discord_emulator.commands  # nothing was synced
    with pytest.raises(EmulatorError, match="2 request"):
        discord_emulator.assert_no_invalid_requests()
    discord_emulator.expect_invalid = True


async def test_a_file_over_the_limit_answers_413(discord_emulator: DiscordEmulator):
    discord_emulator.expect_invalid = True
    channel = discord_emulator.default_channel_id
    over = b"\0" * (10 * 1024 * 1024 + 1)
    status, body, _ = await rest(discord_emulator, "POST", f"/channels/{channel}/messages",
                                 data=multipart({"attachments": [{"id": 0, "filename": "a.bin"}]}, ("a.bin", over)))
    assert (status, body["code"]) == (413, 40005)
    # The limit is per file: two files of 6 MiB each pass.
    six = b"\0" * (6 * 1024 * 1024)
    status, body, _ = await rest(discord_emulator, "POST", f"/channels/{channel}/messages", data=multipart(
        {"attachments": [{"id": 0, "filename": "a.bin"}, {"id": 1, "filename": "b.bin"}]},
        ("a.bin", six), ("b.bin", six)))
    assert status == 200 and [a["size"] for a in body["attachments"]] == [len(six)] * 2


async def test_filenames_are_sanitised_and_attachment_refs_must_name_a_file(discord_emulator):
    discord_emulator.expect_invalid = True
    channel = discord_emulator.default_channel_id
    embed = {"title": "t", "image": {"url": "attachment://my_plot.png"}}
    status, body, _ = await rest(discord_emulator, "POST", f"/channels/{channel}/messages", data=multipart(
        {"embeds": [embed], "attachments": [{"id": 0, "filename": "my plot.png"}]}, ("my plot.png", b"png")))
    assert status == 200 and body["attachments"][0]["filename"] == "my_plot.png"
    dropped = {"title": "t", "image": {"url": "attachment://gone.png"}}
    status, body, _ = await rest(discord_emulator, "POST", f"/channels/{channel}/messages", data=multipart(
        {"embeds": [dropped], "attachments": [{"id": 0, "filename": "kept.ogg"}]}, ("kept.ogg", b"ogg")))
    assert status == 400 and body["errors"]["embeds"]["0"]["image"]["url"]["_errors"][0]["code"] == \
        "ATTACHMENT_NOT_FOUND"


async def test_attachment_urls_expire_and_a_fetch_signs_them_again(discord_emulator):
    bot = _plain_bot()
    async with connected(bot, discord_emulator):
        channel = bot.get_channel(discord_emulator.default_channel_id)
        sent = await channel.send(file=discord.File(io.BytesIO(b"abc"), "a.txt"))  # type: ignore[union-attr]
        assert await sent.attachments[0].read() == b"abc"
        assert "ex=" in sent.attachments[0].url and "hm=" in sent.attachments[0].url
        discord_emulator.expire_attachment_urls()
        with pytest.raises(discord.NotFound):
            await sent.attachments[0].read()
        fetched = await channel.fetch_message(sent.id)  # type: ignore[union-attr]
        assert await fetched.attachments[0].read() == b"abc"


# --- interactions --------------------------------------------------------------------


async def test_callback_types_follow_the_interaction_type(discord_emulator):
    discord_emulator.expect_invalid = True
    bot = _plain_bot()
    codes: list[int] = []

    @bot.tree.command()
    async def wrong(interaction: discord.Interaction, text: str) -> None:
        """Answer a command with a component-only callback."""
        try:
            await interaction.response.defer(thinking=False)  # type 5: allowed
        except discord.HTTPException as exc:
            codes.append(exc.code)

    @wrong.autocomplete("text")
    async def _complete(interaction: discord.Interaction, current: str) -> list:
        try:  # a message in answer to autocomplete: Discord accepts only type 8
            await interaction.response.send_message("no")
        except discord.HTTPException as exc:
            codes.append(exc.code)
        return []

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        record = await discord_emulator.autocomplete_interaction("wrong", {"text": "a"}, "text")
        await discord_emulator.wait_for(lambda: codes, 5, "the refusal")
        # Refused; discord.py then answers with the (empty) choices: type 8, accepted.
        await discord_emulator.wait_for(lambda: record.callback_type, 5, "the type 8 answer")
        assert codes == [50035] and record.callback_attempts == [4, CALLBACK_AUTOCOMPLETE]
        ok = await discord_emulator.invoke("wrong", {"text": "a"})
        await discord_emulator.wait_for_callback(ok)
    assert ok.callback_type == CALLBACK_DEFERRED_MESSAGE
    assert [r.rule for r in discord_emulator.invalid_requests()] == ["interactions"]


async def test_first_followup_after_a_deferral_edits_it_and_keeps_it_public(discord_emulator):
    bot = _plain_bot()
    sent: list[discord.WebhookMessage] = []

    @bot.tree.command()
    async def think(interaction: discord.Interaction) -> None:
        """Defer publicly, then send two 'ephemeral' followups."""
        await interaction.response.defer(thinking=True)
        sent.append(await interaction.followup.send("first", ephemeral=True, wait=True))
        sent.append(await interaction.followup.send("second", ephemeral=True, wait=True))

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        record = await discord_emulator.invoke("think")
        await discord_emulator.wait_for(lambda: len(sent) == 2, 5, "two followups")
    original = discord_emulator.original_message(record)
    assert sent[0].id == record.original_message_id and record.followup_edited_original
    assert original["content"] == "first" and original["flags"] == 0  # not loading, not ephemeral
    assert record.followup_ids == [sent[1].id]
    assert discord_emulator.messages[sent[1].id]["flags"] == 64


async def test_ephemeral_messages_are_not_reachable_through_channel_routes(discord_emulator):
    bot = _plain_bot()
    done: list[int] = []

    @bot.tree.command()
    async def secret(interaction: discord.Interaction) -> None:
        """Answer privately."""
        await interaction.response.send_message("psst", ephemeral=True)
        message = await interaction.original_response()  # the webhook route works
        channel = bot.get_channel(message.channel.id)
        try:
            await channel.fetch_message(message.id)  # type: ignore[union-attr]
        except discord.NotFound as exc:
            done.append(exc.code)
        try:
            await channel.get_partial_message(message.id).edit(content="x")  # type: ignore[union-attr]
        except discord.NotFound as exc:
            done.append(exc.code)

    async with connected(bot, discord_emulator):
        await bot.tree.sync()
        await discord_emulator.invoke("secret")
        await discord_emulator.wait_for(lambda: len(done) == 2, 5, "both refusals")
    assert done == [10008, 10008]


# --- permissions ---------------------------------------------------------------------


async def test_channel_permissions_refuse_or_drop_like_discord(discord_emulator):
    bot = _plain_bot()
    emulator = discord_emulator
    async with connected(bot, emulator):
        channel = bot.get_channel(emulator.default_channel_id)
        await emulator.set_bot_permissions(emulator.default_channel_id, deny=p.PERM_EMBED_LINKS)
        message = await channel.send("hi", embed=discord.Embed(title="t"))  # type: ignore[union-attr]
        assert message.content == "hi" and message.embeds == []
        with pytest.raises(discord.HTTPException) as empty:  # nothing left to show
            await channel.send(embed=discord.Embed(title="t"))  # type: ignore[union-attr]
        assert empty.value.code == 50006
        emulator.expect_invalid = True
        await emulator.set_bot_permissions(emulator.default_channel_id, deny=p.PERM_ATTACH_FILES)
        await channel.send("text only")  # type: ignore[union-attr]
        with pytest.raises(discord.Forbidden) as refused:
            await channel.send(file=discord.File(io.BytesIO(b"x"), "x.txt"))  # type: ignore[union-attr]
        assert refused.value.code == 50013
        await emulator.set_bot_permissions(emulator.default_channel_id, deny=p.PERM_VIEW_CHANNEL)
        with pytest.raises(discord.Forbidden) as refused:
            await channel.send("hi")  # type: ignore[union-attr]
        assert refused.value.code == 50001
        await emulator.wait_for(lambda: not bot.get_channel(emulator.default_channel_id)  # type: ignore[union-attr]
                                .permissions_for(bot.get_guild(emulator.guild_id).me).view_channel,
                                5, "CHANNEL_UPDATE to reach the client")
    assert [r.code for r in emulator.rejected("permissions")] == [50013, 50001]
    assert [r.code for r in emulator.invalid_requests()] == [50006]


# --- rate limits and server errors ---------------------------------------------------


def test_buckets_are_per_route_and_major_parameter():
    assert template_of("/channels/12/messages/34") == ("/channels/{channel}/messages/{id}", "12")
    assert template_of("/webhooks/1/tok/messages/@original") == ("/webhooks/{id}/{token}/messages/{id}", "tok")
    assert template_of("/applications/1/guilds/9/commands") == ("/applications/{id}/guilds/{guild}/commands", "9")


async def test_route_buckets_send_headers_and_429_with_retry_after(discord_emulator):
    emulator = discord_emulator
    emulator.ratelimiter.set_limit("POST", "/channels/{channel}/messages", 2, 60.0)
    path = f"/channels/{emulator.default_channel_id}/messages"
    answers = [await rest(emulator, "POST", path, {"content": str(i)}) for i in range(3)]
    assert [a[0] for a in answers] == [200, 200, 429]
    assert answers[0][2]["X-RateLimit-Limit"] == "2" and answers[0][2]["X-RateLimit-Remaining"] == "1"
    assert 0 < float(answers[0][2]["X-RateLimit-Reset-After"]) <= 60
    status, body, headers = answers[2]
    assert body["global"] is False and 0 < body["retry_after"] <= 60
    assert headers["X-RateLimit-Scope"] == "user" and headers["Via"]
    other = emulator.add_channel("other")  # another channel: another bucket
    assert (await rest(emulator, "POST", f"/channels/{other}/messages", {"content": "x"}))[0] == 200
    # discord.py follows the headers: five sends in a row all succeed, none refused.
    emulator.ratelimiter.set_limit("POST", "/channels/{channel}/messages", 2, 0.3)
    bot = _plain_bot()
    async with connected(bot, emulator):
        channel = bot.get_channel(emulator.default_channel_id)
        for i in range(5):
            await channel.send(str(i))  # type: ignore[union-attr]
    sends = [r for r in emulator.requests_matching("POST", path) if r.json["content"] in "01234"]
    assert [r.status for r in sends[-5:]] == [200] * 5


async def test_global_limit_exempts_interaction_endpoints(discord_emulator):
    emulator = discord_emulator
    emulator.ratelimiter.global_per_second, emulator.ratelimiter.global_window = 3, 60.0
    statuses = [(await rest(emulator, "GET", "/users/@me"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = emulator.rejected("rate_limits")[-1]
    assert refused.response["global"] is True
    # An interaction webhook is not counted: an unknown token still reaches the route (404).
    status, body, _ = await rest(emulator, "POST", f"/webhooks/{emulator.application_id}/nope", {"content": "x"})
    assert (status, body["code"]) == (404, 10015)


async def test_injected_server_errors_are_retried_by_discord_py(discord_emulator):
    emulator = discord_emulator
    bot = _plain_bot()
    async with connected(bot, emulator):
        emulator.fail_next("/messages", method="POST", status=502)
        message = await bot.get_channel(emulator.default_channel_id).send("after a 502")  # type: ignore[union-attr]
    posts = emulator.requests_matching("POST", "/messages")
    assert [r.status for r in posts] == [502, 200] and message.content == "after a 502"


def test_localizations_are_held_to_discords_rules():
    ok = {"name": "compose", "description": "Compose", "type": 1,
          "name_localizations": {"de": "komponieren", "es-ES": "componer", "es-419": "componer",
                                 "hi": "संगीत", "th": "แต่งเพลง"},
          "description_localizations": {"de": "Komponiere", "es-419": "Compón"},
          "options": [{"name": "genre", "description": "g", "type": 3, "name_localizations": {"de": "genre"},
                       "choices": [{"name": "on", "value": "on", "name_localizations": {"de": "an"}}]}]}
    menu = {"name": "Write more", "type": 3, "name_localizations": {"de": "Weiterschreiben", "es-ES": "Escribir más"}}
    assert not check_commands([ok, menu]), check_commands([ok, menu])
    bad = [{**ok, "name_localizations": {"de": "Komponieren", "es": "componer", "fr": "com poser",
                                         "it": "x" * 33, "ja": ""},
            "description_localizations": {"de": "d" * 101, "en": "d", "es-ES": ""},
            "options": [{"name": "genre", "description": "g", "type": 3,
                         "name_localizations": {"de": "stil"}, "description_localizations": {"de": "s" * 101},
                         "choices": [{"name": "on", "value": "on", "name_localizations": {"de": "a" * 101, "xx": "a"}}]},
                        {"name": "style", "description": "s", "type": 3, "name_localizations": {"de": "stil"}}]},
           {"name": "wiki", "description": "w", "type": 1, "name_localizations": {"es-ES": "compose"}},
           {**menu, "name_localizations": {"de": " Weiter", "es-419": "y" * 33, "pt": "Mais"},
            "description_localizations": {"de": "no"}}]
    text = repr(check_commands(bad))
    for where in ("0.name_localizations.de: Command name is invalid",  # upper case
                  "0.name_localizations.es: Invalid locale", "0.name_localizations.fr: Command name",
                  "0.name_localizations.it", "0.name_localizations.ja",
                  "0.description_localizations.de: Must be 100", "0.description_localizations.en: Invalid locale",
                  "0.description_localizations.es-ES: Must be between 1",
                  "0.options.0.description_localizations.de", "0.options.0.choices.0.name_localizations.de",
                  "0.options.0.choices.0.name_localizations.xx: Invalid locale",
                  "0.options.1.name_localizations.de: Application command names must be unique",
                  "1.name_localizations.es-ES: Application command names must be unique",
                  "2.name_localizations.de: Command name is invalid (1-32 characters)",
                  "2.name_localizations.es-419", "2.name_localizations.pt: Invalid locale",
                  "2.description_localizations.de: Context menu commands cannot have a description"):
        assert where in text, text
    # The size limit counts each field's longest localization.
    long = {"name": "long", "description": "d", "type": 1, "options": [
        {"name": f"o{i}", "description": "d", "type": 3, "description_localizations": {"de": "d" * 100}}
        for i in range(25)]}
    assert not check_commands([long])
    long["options"] = [{**o, "choices": [{"name": "c", "value": "v", "name_localizations": {"de": "c" * 100}}] * 25}
                       for o in long["options"][:2]]
    assert "Command exceeds maximum size" in repr(check_commands([long]))
