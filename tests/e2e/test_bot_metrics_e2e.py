"""The bot's /metrics after real /wiki interactions: latency by phase, results, failures, refusals."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.emulator.harness import clear_bot_state, running_bot
from tests.emulator.server import DiscordEmulator
from workers import contracts

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _result(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


async def test_bot_metrics_move_with_real_jobs(discord_emulator, redis_url, celery_worker, monkeypatch):
    clear_bot_state(redis_url)
    # The bot rewrites seeds into the writer's alphabet, so a worker refuses a seed only when
    # its model reads fewer characters than the bot believes: here the bot is told of "☃".
    monkeypatch.setattr(contracts, "WIKI_ALPHABET", contracts.WIKI_ALPHABET | {"\u2603"})
    async with running_bot(discord_emulator, redis_url=redis_url, metrics_port=0,
                           metrics_addr="127.0.0.1", cooldown_seconds=60.0) as bot:
        port = bot.metrics_exporter.port
        before = scrape(port)
        alice = discord_emulator.add_user("alice")
        ok = await discord_emulator.invoke("wiki", {"seed": "The history of", "length": 120}, user=alice)
        # The same user again at once: refused by the cooldown, before anything is queued.
        refused = await discord_emulator.invoke("wiki", {"seed": "The history of", "length": 120}, user=alice)
        # A seed the model cannot read: the worker answers with a bad_input error result.
        bob = discord_emulator.add_user("bob")
        bad = await discord_emulator.invoke("wiki", {"seed": "\u2603\u2603\u2603 snowmen", "length": 120}, user=bob)
        await discord_emulator.wait_for_callback(refused, timeout=3)
        assert refused.ephemeral
        for record in (ok, bad):
            await discord_emulator.wait_for(lambda r=record: _result(discord_emulator, r), 120, "a result")
        total = ("wikimuse_bot_job_seconds_count", (("kind", "wiki"), ("phase", "total")))
        # The reply is visible a moment before the bot records its delivery.
        await discord_emulator.wait_for(lambda: scrape(port).get(total, 0) - before.get(total, 0) >= 2,
                                        10, "both deliveries recorded")
        after = scrape(port)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("wikimuse_bot_jobs_total", kind="wiki", code="ok") == 1
    assert delta("wikimuse_bot_jobs_total", kind="wiki", code="bad_input") == 1
    assert delta("wikimuse_bot_failures_total", kind="wiki", code="bad_input") == 1
    assert delta("wikimuse_bot_refusals_total", limit="cooldown") == 1
    for phase in ("ack", "wait", "deliver", "total"):
        assert delta("wikimuse_bot_job_seconds_count", kind="wiki", phase=phase) == 2, phase
    # Deferred within Discord's 3 s: both acks fall in the le=3 bucket.
    assert delta("wikimuse_bot_job_seconds_bucket", kind="wiki", phase="ack", le="3.0") == 2
    assert delta("wikimuse_bot_job_seconds_sum", kind="wiki", phase="total") > 0
    assert ("wikimuse_bot_queue_depth", (("queue", "text"),)) in after
    assert ("wikimuse_bot_queue_depth", (("queue", "music"),)) in after
    assert after[("wikimuse_bot_pending_jobs", ())] == 0
