"""Fair-use limits, checked and taken atomically in Redis (one Lua script).

Per user: a cooldown between requests and a cap on jobs in flight. Per guild: a
daily quota (UTC days); outside a guild (DMs with the user-installed app) each user
has a quota of that size of their own. Per queue: a maximum length, past which new
requests are refused. Each limit can be overridden per guild (``/config``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from bot import metrics
from bot.errors import LimitReached
from bot.settings import BotSettings
from bot.store import GuildConfig

PREFIX = "wikimuse:bot:limits"

# KEYS: cooldown, active set, quota counter, queue list
# ARGV: job_id, cooldown_ms, max_active, quota, quota_ttl_s, max_queue, now_ms
_ACQUIRE = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return {'cooldown', ttl} end
if tonumber(ARGV[3]) > 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return {'concurrent', 0}
end
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[4]) > 0 and used >= tonumber(ARGV[4]) then return {'quota', 0} end
if tonumber(ARGV[6]) > 0 and redis.call('LLEN', KEYS[4]) >= tonumber(ARGV[6]) then
  return {'queue', 0}
end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[7], 'PX', ARGV[2]) end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], 3600)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[5])
return {'ok', 0}
"""


@dataclass(frozen=True)
class Limits:
    """The limits in force for one guild."""

    cooldown_seconds: float
    max_concurrent_per_user: int
    daily_quota_per_guild: int
    max_queue_length: int

    @classmethod
    def from_settings(cls, settings: BotSettings) -> Limits:
        return cls(settings.cooldown_seconds, settings.max_concurrent_per_user,
                   settings.daily_quota_per_guild, settings.max_queue_length)

    def with_overrides(self, config: GuildConfig) -> Limits:
        """Apply the limits a guild set with ``/config``."""
        return replace(self, **config.limit_overrides())  # type: ignore[arg-type]


def _next_utc_midnight(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


class RateLimiter:
    """``await acquire(...)`` before enqueueing; ``await release(...)`` when the job is done."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client
        self._script = client.register_script(_ACQUIRE)

    async def acquire(self, *, user_id: int, guild_id: int | None, job_id: str, queue: str,
                      limits: Limits) -> None:
        """Take one slot for ``job_id`` or raise :class:`LimitReached` (nothing taken)."""
        now = datetime.now(UTC)
        day = now.strftime("%Y%m%d")
        # Outside a guild (DMs, group DMs) the daily quota is the user's own.
        quota_key = str(guild_id) if guild_id is not None else f"user:{user_id}"
        keys = [f"{PREFIX}:cooldown:{user_id}", f"{PREFIX}:active:{user_id}",
                f"{PREFIX}:quota:{quota_key}:{day}", queue]
        args = [job_id, int(limits.cooldown_seconds * 1000), limits.max_concurrent_per_user,
                limits.daily_quota_per_guild, 2 * 24 * 3600, limits.max_queue_length,
                int(time.time() * 1000)]
        verdict, value = await self._script(keys=keys, args=args)
        verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
        if verdict == "ok":
            return
        metrics.count_refusal(verdict)
        if verdict == "cooldown":
            raise LimitReached("You're going a bit fast.", now + timedelta(milliseconds=int(value)))
        if verdict == "concurrent":
            raise LimitReached("You already have {count} job(s) running; wait for one to finish (see /queue).",
                               count=limits.max_concurrent_per_user)
        if verdict == "quota":
            used = ("This server has used its {count} generations for today." if guild_id is not None
                    else "You have used your {count} generations for today.")
            raise LimitReached(used, _next_utc_midnight(now), count=limits.daily_quota_per_guild)
        raise LimitReached("The queue is full ({count} jobs waiting). Please try again in a few minutes.",
                           count=limits.max_queue_length)

    async def release(self, *, user_id: int, job_id: str) -> None:
        await self.redis.srem(f"{PREFIX}:active:{user_id}", job_id)
