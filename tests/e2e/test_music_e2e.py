"""/compose, /continue and the buttons under results, end to end with tiny real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulator.harness import assert_progress_edits, running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, DiscordEmulator, Upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

DATA = Path(__file__).resolve().parents[1] / "data"
NO_MENTIONS = {"parse": []}


def result_message(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


async def wait_result(emulator: DiscordEmulator, record, timeout: float = 180) -> dict:
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE and record.deferral_seconds < 3
    return await emulator.wait_for(lambda: result_message(emulator, record), timeout, "a result")


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


def assert_clip(emulator: DiscordEmulator, message: dict) -> dict[str, bytes]:
    files = emulator.files_of(message)
    by_ext = {name.rsplit(".", 1)[1]: data for name, data in files.items()}
    assert set(by_ext) == {"ogg", "mid", "png"}, files.keys()
    assert by_ext["ogg"].startswith(b"OggS")
    assert by_ext["mid"].startswith(b"MThd")
    assert by_ext["png"].startswith(b"\x89PNG")
    assert message["allowed_mentions"] == NO_MENTIONS
    return by_ext


async def test_compose_posts_one_message_with_embed_audio_midi_png_and_buttons(
        discord_emulator, music_stack_url):
    async with running_bot(discord_emulator, redis_url=music_stack_url):
        alice = discord_emulator.add_user("alice")
        record = await discord_emulator.invoke(
            "compose", {"genre": "chorale", "model": "lstm", "length": 6, "tempo": 90, "seed": 42},
            user=alice)
        message = await wait_result(discord_emulator, record)
        assert_clip(discord_emulator, message)
        fields = {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}
        assert fields["Genre"] == "chorale" and fields["Model"] == "lstm"
        assert fields["Tempo"] == "90 bpm" and fields["Seed"] == "42"
        assert "Length" in fields and "Generated in" in fields
        job_id = custom_ids(message)[0].rsplit(":", 1)[1]
        assert custom_ids(message) == [f"wm:regen:{job_id}", f"wm:vary:{job_id}",
                                       f"wm:longer:{job_id}", f"wm:edit:{job_id}", f"wm:genre:{job_id}"]
        assert_progress_edits(discord_emulator.original_edits(record), ("composing", "queued"))

        # Buttons: each makes a new deferred reply with a new clip; the genre select changes genre.
        regen = await discord_emulator.click(int(message["id"]), f"wm:regen:{job_id}", user=alice)
        regenerated = await wait_result(discord_emulator, regen)
        assert_clip(discord_emulator, regenerated)
        assert {f["name"]: f["value"] for f in regenerated["embeds"][0]["fields"]}["Seed"] != "42"

        vary = await discord_emulator.click(int(message["id"]), f"wm:vary:{job_id}", user=alice)
        varied = await wait_result(discord_emulator, vary)
        assert {f["name"]: f["value"] for f in varied["embeds"][0]["fields"]}["Seed"] == "42"

        other = await discord_emulator.click(int(message["id"]), f"wm:genre:{job_id}", user=alice,
                                             values=["folk"])
        await discord_emulator.wait_for_callback(other, timeout=3)
        # chorale's tiny model exists; folk has none: a clear error, not silence.
        folk = await discord_emulator.wait_for(lambda: result_message(discord_emulator, other), 180)
        assert "folk" in folk["embeds"][0]["description"]
        assert folk["components"] == []

        # Somebody else may not use alice's buttons...
        bob = discord_emulator.add_user("bob")
        refused = await discord_emulator.click(int(message["id"]), f"wm:longer:{job_id}", user=bob)
        await discord_emulator.wait_for_callback(refused, timeout=3)
        assert refused.ephemeral and "Only <@" in refused.callback_json["data"]["content"]
        assert refused.callback_json["data"]["allowed_mentions"] == NO_MENTIONS
        # ...unless the server allows everyone.
        config = await discord_emulator.invoke("config", {"buttons": "everyone"},
                                               user=discord_emulator.owner_id)
        await discord_emulator.wait_for_callback(config)
        longer = await discord_emulator.click(int(message["id"]), f"wm:longer:{job_id}", user=bob)
        longer_message = await wait_result(discord_emulator, longer)
        assert_clip(discord_emulator, longer_message)


async def test_compose_with_a_kind_the_genre_lacks_names_the_kinds_it_has_in_the_users_language(
        discord_emulator, music_stack_url):
    # The tiny worker has chorale's LSTM only, as the shipped folk has no RBM: the worker says so.
    async with running_bot(discord_emulator, redis_url=music_stack_url):
        for user, title, description in (
                (discord_emulator.add_user("frank"), "Model not installed",
                 "The genre chorale has no rbm model. Its models: lstm, or best (the default)."),
                (discord_emulator.add_user("greta", locale="de"), "Modell nicht installiert",
                 "Das Genre chorale hat kein Modell rbm. Seine Modelle: lstm, oder beste (die Vorgabe).")):
            record = await discord_emulator.invoke("compose", {"genre": "chorale", "model": "rbm", "seed": 1},
                                                   user=user)
            message = await wait_result(discord_emulator, record, timeout=60)
            embed = message["embeds"][0]
            assert (embed["title"], embed["description"]) == (title, description)
            assert message["components"] == [] and message["attachments"] == []
            assert message["allowed_mentions"] == NO_MENTIONS
    discord_emulator.assert_no_invalid_requests()


async def test_continue_extends_an_uploaded_midi_file(discord_emulator, music_stack_url):
    async with running_bot(discord_emulator, redis_url=music_stack_url):
        upload = Upload("maple.mid", (DATA / "maple_leaf_excerpt.mid").read_bytes(), "audio/midi")
        record = await discord_emulator.invoke("continue", {"midi": upload, "bars": 2, "genre": "chorale"},
                                               user=discord_emulator.add_user("carol"))
        message = await wait_result(discord_emulator, record)
        assert_clip(discord_emulator, message)
        fields = {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}
        assert "Your primer" in fields
        assert message["embeds"][0]["title"].startswith("Continuation")
        assert "Continue" in [c.get("label") for row in message["components"] for c in row["components"]]


@pytest.mark.parametrize("upload, expected", [
    (Upload("song.mid", b"RIFF\0\0\0\0WAVEfmt ", "audio/midi"), "isn't one"),
    (Upload("song.mp3", b"ID3", "audio/mpeg"), "not a MIDI file"),
    (Upload("empty.mid", b"", "audio/midi"), "empty"),
    (Upload("big.mid", b"MThd" + b"\0" * 1_100_000, "audio/midi"), "is 1.1 MB; MIDI uploads here are limited to 1.0 MB"),
])
async def test_continue_refuses_bad_uploads_clearly(discord_emulator, music_stack_url, upload, expected):
    async with running_bot(discord_emulator, redis_url=music_stack_url):
        record = await discord_emulator.invoke("continue", {"midi": upload},
                                               user=discord_emulator.add_user("dave"))
        await discord_emulator.wait_for_callback(record, timeout=3)
        if record.callback_type == CALLBACK_DEFERRED_MESSAGE:  # refused after the download
            edits = await discord_emulator.wait_for(lambda: discord_emulator.original_edits(record), 5)
            assert expected in edits[-1].json["content"]
        else:  # refused from the attachment's name, type or size, privately
            assert record.ephemeral and expected in record.callback_json["data"]["content"]


async def test_continue_respects_the_interactions_attachment_size_limit(discord_emulator, music_stack_url):
    discord_emulator.attachment_size_limit = 500
    async with running_bot(discord_emulator, redis_url=music_stack_url):
        upload = Upload("maple.mid", (DATA / "maple_leaf_excerpt.mid").read_bytes(), "audio/midi")
        record = await discord_emulator.invoke("continue", {"midi": upload},
                                               user=discord_emulator.add_user("erin"))
        await discord_emulator.wait_for_callback(record, timeout=3)
        assert record.ephemeral
        assert "is 781 bytes; MIDI uploads here are limited to 500 bytes" in record.callback_json["data"]["content"]
