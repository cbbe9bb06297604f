"""Which bot process follows a pending job: exactly one, by a lease in Redis.

Several bot processes split Discord's shards (``SHARD_COUNT`` / ``SHARD_IDS``) and
share one pending store. The process that accepts a job leases it; while it lives it
renews the lease (every third of ``lease_seconds``). When it dies the lease expires and
another process takes the job over and delivers it. A job is taken over by the process
that runs its guild's shard (it has that guild in its cache); by any process when no
live process announces that shard (every process renews a key per shard it runs).

A process's owner name is its shard set, so a process restarted with the same
``SHARD_IDS`` takes its own jobs back at once instead of waiting for the lease to expire.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from bot.settings import BotSettings
from bot.store import PENDING_KEY, PREFIX, PendingJob

log = logging.getLogger(__name__)

LEASE_KEY = f"{PREFIX}:lease:{{}}"
SHARD_KEY = f"{PREFIX}:shard:{{}}:{{}}"  # shard count, shard id -> owner of that shard

# KEYS: the lease, the pending hash; ARGV: owner, lease ms, job id.
# -1: the job is no longer pending (lease dropped); 1: the caller holds the lease; 0: another does.
_CLAIM = """
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then
  if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return -1
end
local owner = redis.call('GET', KEYS[1])
if (not owner) or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's rule; direct messages: shard 0)."""
    return (guild_id >> 22) % shard_count if guild_id else 0


def owner_name(settings: BotSettings) -> str:
    """This process's name as a lease owner: its shard set (``all`` when it runs every shard)."""
    if settings.shard_ids is None:
        return "all"
    return f"shards-{settings.shard_count}-" + "-".join(str(s) for s in settings.shard_ids)


class Leases:
    """The leases one bot process holds on pending jobs.

    Args:
        client: the bot's Redis.
        settings: the shard split and ``lease_seconds``.
    """

    def __init__(self, client: aioredis.Redis, settings: BotSettings) -> None:
        self.redis = client
        self.settings = settings
        self.owner = owner_name(settings)
        self.held: set[str] = set()
        self._claim = client.register_script(_CLAIM)

    @property
    def interval(self) -> float:
        """Seconds between renewals (and takeover scans)."""
        return self.settings.lease_seconds / 3

    async def _claim_one(self, job_id: str) -> int:
        return int(await self._claim(keys=[LEASE_KEY.format(job_id), PENDING_KEY],
                                     args=[self.owner, int(self.settings.lease_seconds * 1000), job_id]))

    async def take(self, job_id: str) -> bool:
        """Lease a job this process just accepted (True unless another process holds it)."""
        if await self._claim_one(job_id) == 1:
            self.held.add(job_id)
            return True
        return False

    async def acquire(self, job: PendingJob) -> bool:
        """True when this process should now start following ``job``: it was not following
        it, the job is on one of its shards (or on a shard no live process runs), and the
        lease was free or already this process's (left by its previous run)."""
        if job.job_id in self.held or not await self._may_take(job):
            return False
        return await self.take(job.job_id)

    async def _may_take(self, job: PendingJob) -> bool:
        count = self.settings.shard_count
        if self.settings.shard_ids is None or count is None:
            return True  # this process runs every shard
        shard = shard_of(job.guild_id, count)
        return self.settings.runs_shard(shard) or not await self.redis.exists(SHARD_KEY.format(count, shard))

    async def renew(self) -> None:
        """Extend the leases held (dropping jobs delivered meanwhile, or taken by another
        process) and announce the shards this process runs."""
        for job_id in list(self.held):
            state = await self._claim_one(job_id)
            if state != 1:
                self.held.discard(job_id)
                if state == 0:
                    log.warning("another bot process took over a job", extra={"job_id": job_id})
        if self.settings.shard_ids is not None and self.settings.shard_count is not None:
            ms = int(self.settings.lease_seconds * 1000)
            for shard in self.settings.shard_ids:
                await self.redis.set(SHARD_KEY.format(self.settings.shard_count, shard), self.owner, px=ms)
