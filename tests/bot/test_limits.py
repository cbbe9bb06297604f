"""The limits are atomic: concurrent requests never get more slots than allowed."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from bot.errors import LimitReached
from bot.limits import Limits, RateLimiter
from bot.store import GuildConfig


async def test_concurrent_requests_get_exactly_the_allowed_slots(scratch_redis_url):
    client = aioredis.Redis.from_url(scratch_redis_url)
    limiter = RateLimiter(client)
    limits = Limits(cooldown_seconds=0, max_concurrent_per_user=3, daily_quota_per_guild=5,
                    max_queue_length=100)

    async def one(i: int, user: int) -> bool:
        try:
            await limiter.acquire(user_id=user, guild_id=9, job_id=f"job{i}", queue="text", limits=limits)
            return True
        except LimitReached:
            return False

    results = await asyncio.gather(*(one(i, 1) for i in range(20)))
    assert sum(results) == 3
    await limiter.release(user_id=1, job_id=f"job{results.index(True)}")
    others = await asyncio.gather(*(one(100 + i, 2) for i in range(10)))
    assert sum(others) == 2  # the guild's daily quota (5) is now spent
    with pytest.raises(LimitReached, match="used its 5 generations for today") as excinfo:
        await limiter.acquire(user_id=1, guild_id=9, job_id="late", queue="text", limits=limits)
    assert excinfo.value.retry_at is not None and "<t:" in excinfo.value.user_message
    await client.aclose()


def test_guild_overrides_apply_and_ignore_garbage():
    base = Limits(10.0, 2, 500, 50)
    stored = GuildConfig.from_hash({"cooldown_seconds": "0", "max_queue_length": "7", "daily_quota_per_guild": "x"})
    assert base.with_overrides(stored) == Limits(0.0, 2, 500, 7)
    assert base.with_overrides(GuildConfig()) == base


def test_guild_config_round_trips_through_its_hash_and_reads_garbage_as_unset():
    config = GuildConfig(channels=(5, 3), default_genre="jazz", buttons="everyone", cooldown_seconds=2.5,
                         max_queue_length=9, safe_mode="off", blocked_words=("zebra",))
    assert GuildConfig.from_hash(config.to_hash()) == config
    assert GuildConfig.from_hash(GuildConfig().to_hash()) == GuildConfig()
    garbage = GuildConfig.from_hash({"channels": "1,x,,2", "buttons": "anyone", "safe_mode": "maybe",
                                     "max_concurrent_per_user": "many", "blocked_words": "{"})
    assert garbage == GuildConfig(channels=(1, 2))
    assert garbage.allows(2) and not garbage.allows(3) and GuildConfig().allows(None)


async def test_outside_a_guild_each_user_has_a_daily_quota_of_their_own(scratch_redis_url):
    client = aioredis.Redis.from_url(scratch_redis_url)
    limiter = RateLimiter(client)
    limits = Limits(cooldown_seconds=0, max_concurrent_per_user=10, daily_quota_per_guild=2,
                    max_queue_length=100)
    for user in (1, 2):  # two users in DMs: neither spends the other's quota
        for i in range(2):
            await limiter.acquire(user_id=user, guild_id=None, job_id=f"dm{user}-{i}", queue="text",
                                  limits=limits)
    with pytest.raises(LimitReached, match="You have used your 2 generations for today"):
        await limiter.acquire(user_id=1, guild_id=None, job_id="dm1-late", queue="text", limits=limits)
    # A guild's quota is apart from its members' DMs.
    await limiter.acquire(user_id=1, guild_id=9, job_id="guild1", queue="text", limits=limits)
    await client.aclose()
