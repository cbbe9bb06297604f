"""Pending jobs are leased by exactly one bot process, and taken over when it dies (real Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.leases import LEASE_KEY, Leases, owner_name, shard_of
from bot.settings import BotSettings
from bot.store import PendingJob, Store

LEASE = 0.3  # seconds; the tests wait past it to let a dead owner's lease expire


def guild_on(shard: int) -> int:
    """A guild id on ``shard`` of 2."""
    return ((2000 + shard) << 22) | 7


def settings(*shard_ids: int) -> BotSettings:
    return BotSettings(token="t", shard_count=2, shard_ids=shard_ids or None, lease_seconds=LEASE)


@pytest.fixture
async def client(scratch_redis_url: str) -> AsyncIterator[aioredis.Redis]:
    redis = aioredis.Redis.from_url(scratch_redis_url)
    yield redis
    await redis.aclose()


async def pending(store: Store, job_id: str, shard: int) -> PendingJob:
    job = PendingJob(job_id=job_id, task_name="wiki", user_id=1, channel_id=2, guild_id=guild_on(shard))
    await store.add_pending(job)
    return job


def test_shard_of_follows_discord():
    assert shard_of(guild_on(0), 2) == 0 and shard_of(guild_on(1), 2) == 1
    assert shard_of(None, 4) == 0  # direct messages come through shard 0
    assert owner_name(settings(1, 0)) == "shards-2-1-0" and owner_name(settings()) == "all"


async def test_one_owner_then_takeover_after_the_owner_dies(client: aioredis.Redis):
    store = Store(client)
    a, b = Leases(client, settings(0)), Leases(client, settings(1))
    await a.renew()
    await b.renew()
    job = await pending(store, "j0", shard=0)
    assert await a.take("j0")
    assert await client.get(LEASE_KEY.format("j0")) == b"shards-2-0"
    # Held by its owner: nobody else follows it, and the owner does not follow it twice.
    assert not await b.acquire(job) and not await a.acquire(job)
    # The owner lives: each renewal gives the lease a full term again.
    await asyncio.sleep(LEASE / 2)
    await a.renew()
    assert await client.pttl(LEASE_KEY.format("j0")) > LEASE * 1000 * 0.6
    # The owner dies (stops renewing): once its lease and its shard's key expire, b takes over.
    await asyncio.sleep(LEASE * 1.5)
    assert await b.acquire(job)
    assert await client.get(LEASE_KEY.format("j0")) == b"shards-2-1"
    # A restarted process on shard 0 does not take it back while b holds it.
    assert not await Leases(client, settings(0)).acquire(job)


async def test_an_orphan_goes_to_the_process_running_its_shard(client: aioredis.Redis):
    store = Store(client)
    a, b = Leases(client, settings(0)), Leases(client, settings(1))
    await a.renew()
    await b.renew()
    job = await pending(store, "j1", shard=1)  # left by nobody's lease (e.g. an older bot)
    assert not await a.acquire(job)  # shard 1 is served by b
    assert await b.acquire(job)
    # A process that runs every shard takes anything that is free.
    free = await pending(store, "j2", shard=0)
    assert await Leases(client, settings()).acquire(free)


async def test_a_restarted_process_takes_its_own_jobs_back_at_once(client: aioredis.Redis):
    store = Store(client)
    job = await pending(store, "j3", shard=0)
    assert await Leases(client, settings(0)).take("j3")
    assert await Leases(client, settings(0)).acquire(job)  # same shards: same owner, no wait


async def test_a_delivered_job_is_dropped_and_its_lease_freed(client: aioredis.Redis):
    store = Store(client)
    a = Leases(client, settings(0))
    await pending(store, "j4", shard=0)
    assert await a.take("j4")
    await store.mark_delivered("j4")
    await a.renew()
    assert a.held == set() and not await client.exists(LEASE_KEY.format("j4"))
    assert not await a.take("j4")  # no longer pending: nothing to follow
