"""Right-click menus and the Edit modal on real results, end to end with tiny real models:
each new result shows its parameters and links the result it came from."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.harness import running_bot
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, CALLBACK_MODAL, DiscordEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


async def result_of(emulator: DiscordEmulator, record, timeout: float = 180) -> dict:
    await emulator.wait_for_callback(record, timeout=3)
    assert record.callback_type == CALLBACK_DEFERRED_MESSAGE, record.callback_json
    return await emulator.wait_for(
        lambda: (m := emulator.original_message(record)) and m["embeds"] and m, timeout, "a result")


def parameters(message: dict) -> str:
    return message["embeds"][0]["footer"]["text"].splitlines()[-1]


async def test_menus_and_edit_build_on_real_results(discord_emulator, music_stack_url):
    emulator = discord_emulator
    async with running_bot(emulator, redis_url=music_stack_url):
        alice = emulator.add_user("alice")
        article, clip = await asyncio.gather(
            result_of(emulator, await emulator.invoke(
                "wiki", {"seed": "The history of", "length": 150, "temperature": 0.7}, user=alice)),
            result_of(emulator, await emulator.invoke(
                "compose", {"genre": "chorale", "model": "lstm", "length": 5, "seed": 42}, user=alice)))
        assert parameters(article).startswith("length 150 · temperature 0.7 · top-k 0 · top-p 0.95 · seed ")
        assert parameters(clip) == "genre chorale · model lstm · length (s) 5 · temperature 1 · seed 42"
        job_id = article["components"][0]["components"][0]["custom_id"].rsplit(":", 1)[1]

        edit = await emulator.click(int(article["id"]), f"wm:edit:{job_id}", user=alice)
        await emulator.wait_for_callback(edit)
        assert edit.callback_type == CALLBACK_MODAL
        more, variation, edited, continued = await asyncio.gather(
            result_of(emulator, await emulator.message_command("Write more", int(article["id"]), user=alice)),
            result_of(emulator, await emulator.message_command("Variation", int(article["id"]), user=alice)),
            result_of(emulator, await emulator.submit_modal(edit, {"wm:field:length": "120"})),
            result_of(emulator, await emulator.message_command("Continue this MIDI", int(clip["id"]), user=alice)))

    source = emulator.jump_url(article)
    assert more["content"].startswith(f"Continuation of {source}")
    assert parameters(more).startswith("length 150 · temperature 0.7 ·")
    assert variation["content"] == f"Variation of {source}"
    assert parameters(variation).startswith("length 150 ·") and parameters(variation) != parameters(article)
    assert edited["content"] == f"Edited from {source}"
    # The modal kept the article's seed: only the length changed.
    assert parameters(edited) == parameters(article).replace("length 150", "length 120")
    # A clip continued in its own genre, linked to it, and playable.
    assert continued["content"] == f"Continuation of {emulator.jump_url(clip)}"
    assert continued["embeds"][0]["title"] == "Continuation: chorale"
    assert any(name.endswith(".mid") for name in emulator.files_of(continued))
