"""The bot's state in Redis: pending jobs, delivery claims and guild config.

Pending jobs carry what is needed to answer after a restart or after the
15-minute interaction token expired (channel, requester, token). A result is
delivered exactly once: the deliverer first claims the job id with ``SET NX``.
The generation history lives in the SQL database (:mod:`bot.db`), not here.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as aioredis

PREFIX = "wikimuse:bot"
PENDING_KEY = f"{PREFIX}:pending"
DELIVERED_KEY = f"{PREFIX}:delivered:{{}}"
GUILD_CONFIG_KEY = f"{PREFIX}:guild:{{}}"
RESULT_KEY = f"{PREFIX}:result:{{}}"
DELIVERED_TTL = 7 * 24 * 3600
CLAIM_TTL = 120  # a deliverer that died mid-delivery frees the claim after this
TOKEN_LIFETIME = 15 * 60


@dataclass(frozen=True)
class PendingJob:
    """A job the bot still owes an answer for."""

    job_id: str
    task_name: str
    user_id: int
    channel_id: int | None
    guild_id: int | None
    interaction_token: str | None = None
    application_id: int | None = None
    created_at: float = field(default_factory=time.time)
    job: dict[str, Any] = field(default_factory=dict)  # the job contract, for buttons
    label: str = ""  # what /queue shows
    note: str = ""  # a line for the user above the result (e.g. how the seed was changed)

    def token_valid(self, margin: float = 30.0) -> bool:
        return bool(self.interaction_token) and time.time() - self.created_at < TOKEN_LIFETIME - margin

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> PendingJob:
        data = json.loads(text)
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


class Store:
    """Async Redis access for the bot (one client, shared)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client

    # pending jobs
    async def add_pending(self, job: PendingJob) -> None:
        await self.redis.hset(PENDING_KEY, job.job_id, job.to_json())

    async def remove_pending(self, job_id: str) -> None:
        await self.redis.hdel(PENDING_KEY, job_id)

    async def get_pending(self, job_id: str) -> PendingJob | None:
        raw = await self.redis.hget(PENDING_KEY, job_id)
        return PendingJob.from_json(raw) if raw else None

    async def pending_ids(self) -> list[str]:
        """The pending job ids alone (a /continue job carries its whole MIDI file)."""
        return [k.decode() if isinstance(k, bytes) else k for k in await self.redis.hkeys(PENDING_KEY)]

    async def all_pending(self) -> list[PendingJob]:
        raw = await self.redis.hgetall(PENDING_KEY)
        jobs = [PendingJob.from_json(v) for v in raw.values()]
        return sorted(jobs, key=lambda j: j.created_at)

    # exactly-once delivery
    async def claim_delivery(self, job_id: str) -> bool:
        """True for exactly one caller per job id (until :meth:`release_delivery`)."""
        return bool(await self.redis.set(DELIVERED_KEY.format(job_id), "claimed", nx=True, ex=CLAIM_TTL))

    async def mark_delivered(self, job_id: str) -> None:
        await self.redis.set(DELIVERED_KEY.format(job_id), "delivered", ex=DELIVERED_TTL)
        await self.remove_pending(job_id)

    async def release_delivery(self, job_id: str) -> None:
        await self.redis.delete(DELIVERED_KEY.format(job_id))

    # finished jobs' parameters (buttons under results still work after a restart)
    async def remember_job(self, job_id: str, pending: PendingJob) -> None:
        await self.redis.set(RESULT_KEY.format(job_id), pending.to_json(), ex=DELIVERED_TTL)

    async def recall_job(self, job_id: str) -> PendingJob | None:
        raw = await self.redis.get(RESULT_KEY.format(job_id))
        return PendingJob.from_json(raw) if raw else None

    # guild configuration
    async def guild_config(self, guild_id: int) -> dict[str, str]:
        raw = await self.redis.hgetall(GUILD_CONFIG_KEY.format(guild_id))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def set_guild_config(self, guild_id: int, values: dict[str, str]) -> None:
        if values:
            await self.redis.hset(GUILD_CONFIG_KEY.format(guild_id), mapping=values)
