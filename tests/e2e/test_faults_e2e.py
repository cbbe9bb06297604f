"""The real bot across faults of the backend: Redis killed and restarted mid-job, and
pending jobs that appear while it runs (their follower gone)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator

import pytest
import redis

from bot.jobs import JobBackend
from bot.store import PENDING_KEY, PendingJob
from tests.emulator.harness import PATIENT_LIMITS, running_bot
from tests.emulator.server import DiscordEmulator
from workers import contracts
from workers.contracts import ErrorResult, WikiJob
from workers.embedded import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def aof_stack(redis_server_factory: Callable[..., RedisServer], start_celery_worker: Callable,
              tiny_model_dir, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private Redis with AOF (restarted by the tests) and a threads text worker on it."""
    server = redis_server_factory(appendonly=True, workdir=tmp_path_factory.mktemp("aof-redis"))
    worker = start_celery_worker(queues=(contracts.QUEUE_TEXT,), pool="threads", concurrency=4,
                                 redis_url_override=server.url,
                                 env={"MODEL_DIR": str(tiny_model_dir), **PATIENT_LIMITS})
    yield server
    worker.stop(10)


def _article(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


def _state(client: redis.Redis, job_id: str) -> str | None:
    import json

    raw = client.get(f"celery-task-meta-{job_id}")
    return json.loads(raw)["status"] if raw else None


async def test_the_bot_follows_a_job_across_a_redis_restart(discord_emulator, aof_stack):
    """Redis SIGKILLed while a /wiki job runs and started again: the bot keeps following the
    job and delivers the article once, never telling the user the generator was unavailable."""
    client = redis.Redis.from_url(aof_stack.url)
    async with running_bot(discord_emulator, redis_url=aof_stack.url) as bot:
        user = discord_emulator.add_user("alice")
        record = await discord_emulator.invoke("wiki", {"seed": "The river", "length": contracts.WIKI_LENGTH_MAX},
                                               user=user)
        await discord_emulator.wait_for_callback(record, timeout=3)
        job_id = (await discord_emulator.wait_for(lambda: client.hkeys(PENDING_KEY), 10, "the pending job"))[0].decode()
        await discord_emulator.wait_for(lambda: _state(client, job_id) == contracts.STATE_PROGRESS, 120,
                                        "the job running")
        await asyncio.sleep(1.2)  # appendfsync everysec: the job's records are on disk
        assert _article(discord_emulator, record) is None  # still running when Redis goes
        aof_stack.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(aof_stack.proc.wait, 10)
        await asyncio.sleep(1.5)
        aof_stack.start()  # from this thread: the server dies with the thread that started it (PDEATHSIG)

        message = await discord_emulator.wait_for(lambda: _article(discord_emulator, record), 90, "the article")
        assert message["embeds"][0]["description"].startswith("**The river**")
        edits = [e for e in discord_emulator.original_edits(record) if e.status == 200]
        assert not any("unavailable" in (e.json.get("content") or "").lower() for e in edits), edits
        assert sum(bool(e.json.get("embeds")) for e in edits) == 1
        # The pending record is removed just after the edit goes out: give it a moment.
        for _ in range(40):
            if not await bot.store.pending_ids():
                break
            await asyncio.sleep(0.1)
        assert await bot.store.pending_ids() == []
    client.close()


async def test_a_pending_job_that_appears_while_running_is_delivered(discord_emulator, aof_stack):
    """The pending store is scanned while the bot runs, not only at its start: a job whose
    follower is gone (another bot process died) is delivered by this one."""
    from workers.app import create_app
    from workers.settings import load_settings

    async with running_bot(discord_emulator, redis_url=aof_stack.url) as bot:
        bot.runner.pending_scan_seconds = 0.5
        user = discord_emulator.add_user("orphan")
        job = WikiJob(job_id=contracts.new_job_id(), seed="Orphaned topic", length=100)
        app = create_app(load_settings({"REDIS_URL": aof_stack.url}))
        try:
            sent = app.send_task(contracts.TASK_WIKI, args=[job.to_dict()], task_id=job.job_id)
            await asyncio.to_thread(sent.get, timeout=120)  # finished before anyone follows it
        finally:
            app.close()
        await bot.store.add_pending(PendingJob(
            job_id=job.job_id, task_name=contracts.TASK_WIKI, user_id=user,
            channel_id=discord_emulator.default_channel_id, guild_id=discord_emulator.guild_id,
            job=job.to_dict(), label="wiki: Orphaned topic"))

        def posts() -> list:
            return [r for r in discord_emulator.requests_matching("POST", "/channels/")
                    if r.status == 200 and (r.json or {}).get("content", "").startswith(f"<@{user}>")]

        post = (await discord_emulator.wait_for(posts, 30, "the orphaned job's post"))[0]
        assert post.json["embeds"][0]["description"].startswith("**Orphaned topic**")
        await asyncio.sleep(1.5)  # three more scans: delivered once
        assert len(posts()) == 1
        assert await bot.store.pending_ids() == []


async def test_a_job_not_started_before_the_bot_gives_up_never_runs(redis_server_factory, start_celery_worker,
                                                                   tiny_model_dir):
    """No worker until after the job's start deadline: the worker that comes up drops the job
    (Celery's ``expires``) instead of running it for a user who was, or will be, told that it
    timed out, and the bot reads that as a timeout. The drop stores (and publishes) a REVOKED
    "expired" state, so the wait ends on the first read or change after it; the test bounds
    the wait and the close so that a regression fails here, naming the step, instead of
    hanging (closing once waited forever on the feed's reader, whose cancellation Python
    3.11's ``asyncio.wait_for`` inside redis-py can drop; see ``bot/aio.py``)."""
    from bot.jobs import start_deadline

    server = redis_server_factory()
    backend = JobBackend(server.url, poll_interval=0.1, job_timeout=2.0)
    client = redis.Redis.from_url(server.url)
    try:
        job = WikiJob(job_id=contracts.new_job_id(), seed="Too late", length=100)
        await backend.submit(job, contracts.TASK_WIKI)
        await asyncio.sleep(start_deadline(2.0) + 0.5)
        await asyncio.to_thread(start_celery_worker, queues=(contracts.QUEUE_TEXT,),
                                redis_url_override=server.url, env={"MODEL_DIR": str(tiny_model_dir)})
        async with asyncio.timeout(30):  # dropped at once by the worker, which is up
            result = await backend.wait(job.job_id, contracts.QUEUE_TEXT, timeout=60)
        assert isinstance(result, ErrorResult) and result.code == contracts.ERR_TIMEOUT, result
        assert "in time" in result.message
        assert _state(client, job.job_id) == "REVOKED"  # dropped as expired, not timed out by the bot
        assert client.get(f"wikimuse:deliveries:{job.job_id}") is None  # it never started
        assert client.llen(contracts.QUEUE_TEXT) == 0 and client.hlen("unacked") == 0
    finally:
        client.close()
        async with asyncio.timeout(15):
            await backend.close()


async def test_the_bot_reaches_redis_at_once_after_a_restart(redis_server_factory):
    """Redis SIGKILLed and started again while the bot's client holds pooled connections: the
    first checks of an interaction arriving right after the restart (its guild's config, the
    rate limiter's script) succeed. The pooled connections are the dead server's, and redis-py
    hands them out unchecked; without one immediate retry on a fresh connection, such an
    interaction was refused ("The generator is unavailable") with Redis up."""
    from bot.limits import Limits, RateLimiter
    from bot.store import Store

    server = redis_server_factory()
    backend = JobBackend(server.url)
    store, limiter = Store(backend.redis), RateLimiter(backend.redis)
    limits = Limits(cooldown_seconds=0, max_concurrent_per_user=1000, daily_quota_per_guild=10**6,
                    max_queue_length=10**6)
    failures = []
    try:
        for restart in range(3):
            await asyncio.gather(*(store.pending_ids() for _ in range(4)))  # four pooled connections
            server.proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(server.proc.wait, 10)
            server.stop()
            await asyncio.sleep(0.3)
            await asyncio.to_thread(server.start)
            for n in range(4):
                try:
                    await store.guild_config(1)
                    await limiter.acquire(user_id=n, guild_id=1, job_id=f"job-{restart}-{n}",
                                          queue=contracts.QUEUE_TEXT, limits=limits)
                except redis.exceptions.RedisError as exc:
                    failures.append((restart, n, f"{type(exc).__name__}: {exc}"))
    finally:
        await backend.close()
    assert failures == []
