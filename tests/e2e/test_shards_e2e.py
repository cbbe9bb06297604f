"""Two real bot processes split the shards; when one is killed, the other delivers its jobs.

Everything is real except Discord: a private redis-server, two ``python -m bot`` child
processes (``SHARD_COUNT=2``, ``SHARD_IDS=0`` and ``1``), a Celery text worker with the
tiny model, and the emulator with 50 guilds spread over the two shards. One /wiki per
guild goes to the process running its shard, which defers it and leases the job. The
worker starts only after the shard-0 process was SIGKILLed, so none of that process's
jobs could have been delivered by it: every article it owed comes from the survivor.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import redis

from bench.load import _API_ENV, _GATEWAY_ENV, BotProcess
from bot.leases import LEASE_KEY
from bot.store import PENDING_KEY, PendingJob
from tests.emulator.harness import PATIENT_LIMITS
from tests.emulator.server import CALLBACK_DEFERRED_MESSAGE, DiscordEmulator
from workers.settings import child_environ

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

GUILDS = 50
SHARDS = 2


def _shard(guild_id: int) -> int:
    return (guild_id >> 22) % SHARDS


def _bot_env(emulator: DiscordEmulator, redis_url: str, data_dir: Path, shard: int) -> dict[str, str]:
    env = child_environ(
        DISCORD_TOKEN=emulator.token, REDIS_URL=redis_url, LOG_FORMAT="text", LOG_LEVEL="INFO",
        BOT_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", SHARD_COUNT=str(SHARDS), SHARD_IDS=str(shard),
        PENDING_LEASE_SECONDS="2", COOLDOWN_SECONDS="0", MAX_CONCURRENT_PER_USER="100",
        MAX_QUEUE_LENGTH="1000", DAILY_QUOTA_PER_GUILD="10000",
        **{_API_ENV: emulator.api_base, _GATEWAY_ENV: emulator.gateway_url})
    env.pop("DATABASE_URL", None)
    return env


def _connected(emulator: DiscordEmulator, shard: int) -> bool:
    return any(s.connected and s.shard == (shard, SHARDS) for s in emulator.sessions.values())


def _article_edits(emulator: DiscordEmulator, record) -> list:
    return [r for r in emulator.original_edits(record) if r.status == 200 and (r.json or {}).get("embeds")]


async def test_two_bot_processes_share_the_load_and_survive_one_being_killed(
        discord_emulator: DiscordEmulator, redis_server_factory, start_celery_worker,
        tiny_model_dir: Path, tmp_path: Path):
    emulator = discord_emulator
    emulator.shard_count = SHARDS
    channels = dict(emulator.add_guild(f"guild {i}") for i in range(GUILDS - 1))
    channels[emulator.guild_id] = emulator.default_channel_id
    assert {_shard(g) for g in channels} == {0, 1}
    server = redis_server_factory()
    bots = [BotProcess(_bot_env(emulator, server.url, tmp_path / f"bot{shard}", shard),
                       tmp_path / f"bot{shard}.log") for shard in range(SHARDS)]
    client = redis.Redis.from_url(server.url)
    try:
        for bot in bots:
            bot.start()
        for shard, bot in enumerate(bots):
            await emulator.wait_for(lambda s=shard, b=bot: _connected(emulator, s) or not b.alive(),
                                    120, f"bot process for shard {shard}")
            assert bot.alive(), bot.log_tail()
        await emulator.wait_for(lambda: emulator.commands.get(None), 30, "the commands")

        # Load through both: one /wiki per guild (ten guilds at a time, five per process),
        # each acknowledged once, by its shard's process.
        records = {}
        guilds = list(channels)
        for start in range(0, GUILDS, 10):
            batch = {g: await emulator.invoke("wiki", {"seed": "The river", "length": 100}, channel=channels[g])
                     for g in guilds[start:start + 10]}
            for record in batch.values():
                await emulator.wait_for_callback(record, timeout=10)
                assert record.callback_attempts == [CALLBACK_DEFERRED_MESSAGE]
            records.update(batch)
        pending = await emulator.wait_for(
            lambda: len(client.hgetall(PENDING_KEY)) == GUILDS and client.hgetall(PENDING_KEY), 10, "50 pending")
        jobs = [PendingJob.from_json(raw) for raw in pending.values()]
        # Each pending job is leased by exactly the process that runs its guild's shard.
        def leases() -> dict[str, bytes] | None:
            owners = {job.job_id: client.get(LEASE_KEY.format(job.job_id)) for job in jobs}
            return owners if all(owners.values()) else None

        owners = await emulator.wait_for(leases, 10, "a lease on each job")
        for job in jobs:
            assert owners[job.job_id] == f"shards-{SHARDS}-{_shard(job.guild_id)}".encode(), job

        # Kill the shard-0 process mid-flight; only then can any job finish.
        bots[0].proc.send_signal(signal.SIGKILL)
        bots[0].proc.wait(10)
        start_celery_worker(queues=("text",), pool="threads", concurrency=8, redis_url_override=server.url,
                            env={"MODEL_DIR": str(tiny_model_dir), **PATIENT_LIMITS})

        # Every guild gets its article, exactly once, shard 0's from the survivor.
        for guild, record in records.items():
            await emulator.wait_for(lambda r=record: _article_edits(emulator, r) or not bots[1].alive(),
                                    120, f"the article in guild {guild}")
            assert bots[1].alive(), bots[1].log_tail()
        await emulator.wait_for(lambda: not client.hlen(PENDING_KEY), 10, "no job left pending")
        for record in records.values():
            assert len(_article_edits(emulator, record)) == 1
        assert not [m for m in emulator.messages.values() if not m.get("webhook_id")]  # no late posts
        taken_over = [j for j in jobs if _shard(j.guild_id) == 0]
        assert len(taken_over) >= 10
        assert "pending job(s)" in bots[1].log_tail(100_000)  # it took the dead one's jobs
    finally:
        for bot in bots:
            bot.stop()
        client.close()
