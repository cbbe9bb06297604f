"""Redis behind Sentinel: the bot and a worker, both configured with the sentinels' URL,
complete /wiki jobs; one that runs while the master dies is delivered through the promoted
replica, and one sent after the failover runs there."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from bot.store import PENDING_KEY
from tests.bot.test_metrics import scrape
from tests.emulator.harness import PATIENT_LIMITS, running_bot
from tests.emulator.server import DiscordEmulator
from tests.sentinel_harness import MASTER, Sentinel
from workers import contracts
from workers.embedded import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def sentinel_stack(redis_server_factory: Callable[..., RedisServer], start_celery_worker: Callable,
                   tiny_model_dir: Path, tmp_path: Path) -> Iterator[tuple[Sentinel, RedisServer, RedisServer]]:
    """A master, its replica, a sentinel, and a threads text worker given only the sentinel's URL."""
    master, replica = redis_server_factory(), redis_server_factory()
    with redis.Redis(port=master.port) as client:
        client.config_set("repl-diskless-sync-delay", 0)  # the replica syncs at once (default: 5 s)
    with redis.Redis(port=replica.port) as client:
        client.replicaof("127.0.0.1", master.port)
    sentinel = Sentinel(tmp_path, master.port)
    try:
        worker = start_celery_worker(queues=(contracts.QUEUE_TEXT,), pool="threads", concurrency=2,
                                     redis_url_override=sentinel.url,
                                     env={"REDIS_SENTINEL_MASTER": MASTER, "MODEL_DIR": str(tiny_model_dir),
                                          **PATIENT_LIMITS})
        try:
            yield sentinel, master, replica
        finally:
            worker.stop(10)
    finally:
        sentinel.stop()


def _article(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


async def test_wiki_through_sentinel_and_across_a_failover(discord_emulator, sentinel_stack):
    """A /wiki job completes with the bot and the worker on the sentinels' URL. A second job is
    running when the master is SIGKILLed: the sentinel promotes the replica, the worker stores
    the result there, and the bot, its result feed subscribed again through the sentinel,
    delivers the article once. A third job, sent after the failover, runs on the new master."""
    sentinel, master, replica = sentinel_stack
    async with running_bot(discord_emulator, redis_url=sentinel.url, redis_sentinel_master=MASTER,
                           metrics_port=0, metrics_addr="127.0.0.1") as bot:
        user = discord_emulator.add_user("alice")
        first = await discord_emulator.invoke("wiki", {"seed": "The castle", "length": 150}, user=user)
        await discord_emulator.wait_for_callback(first, timeout=3)
        message = await discord_emulator.wait_for(lambda: _article(discord_emulator, first), 60, "the article")
        assert message["embeds"][0]["description"].startswith("**The castle**")
        job_id = message["components"][0]["components"][0]["custom_id"].rsplit(":", 1)[1]
        with redis.Redis(port=master.port) as direct:  # the worker stored it on the master the sentinel names
            assert direct.exists(f"celery-task-meta-{job_id}")

        await asyncio.to_thread(_wait, lambda: sentinel.knows_replica(replica.port), 15, "the replica")
        second = await discord_emulator.invoke("wiki", {"seed": "The river", "length": contracts.WIKI_LENGTH_MAX},
                                               user=user)
        await discord_emulator.wait_for_callback(second, timeout=3)
        direct = redis.Redis(port=master.port)
        job_id = (await discord_emulator.wait_for(lambda: direct.hkeys(PENDING_KEY), 10, "the pending job"))[0]
        await discord_emulator.wait_for(
            lambda: (direct.get(f"celery-task-meta-{job_id.decode()}") or b"").find(b"PROGRESS") >= 0, 60,
            "the job running")
        direct.close()
        assert _article(discord_emulator, second) is None  # still running when the master goes
        master.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(master.proc.wait, 10)
        await asyncio.to_thread(_wait, lambda: sentinel.master_port() == replica.port, 30, "the failover")

        message = await discord_emulator.wait_for(lambda: _article(discord_emulator, second), 60, "the article")
        assert message["embeds"][0]["description"].startswith("**The river**")
        edits = [e for e in discord_emulator.original_edits(second) if e.status == 200]
        assert not any("unavailable" in (e.json.get("content") or "").lower() for e in edits), edits
        assert sum(bool(e.json.get("embeds")) for e in edits) == 1
        with redis.Redis(port=replica.port) as promoted:  # marked delivered there, just after the send
            await discord_emulator.wait_for(lambda: promoted.hlen(PENDING_KEY) == 0, 10, "the job marked delivered")
            # The worker acknowledged the job there, through the channel its lost connection had
            # opened: it is not redelivered.
            await discord_emulator.wait_for(lambda: promoted.hlen("unacked") == 0, 20, "the job acknowledged")
        assert await bot.store.pending_ids() == []
        # The exporter's (synchronous) client reads the promoted replica too.
        samples = await asyncio.to_thread(scrape, bot.metrics_exporter.port)
        assert samples[("wikimuse_bot_pending_jobs", ())] == 0

        # A job sent after the failover goes to the new master, and the reconnected worker runs it.
        third = await discord_emulator.invoke("wiki", {"seed": "The bridge", "length": 150}, user=user)
        await discord_emulator.wait_for_callback(third, timeout=3)
        message = await discord_emulator.wait_for(lambda: _article(discord_emulator, third), 60, "the article")
        assert message["embeds"][0]["description"].startswith("**The bridge**")
