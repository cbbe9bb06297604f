"""The bot's state in Redis: pending jobs, delivery claims and guild config.

Pending jobs carry what is needed to answer after a restart or after the
15-minute interaction token expired (channel, requester, token). A result is
delivered exactly once: the deliverer first claims the job id with ``SET NX``.
The generation history lives in the SQL database (:mod:`bot.db`), not here.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

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
    tail: str = ""  # a delivered article's last characters, for "Write more" to go on from
    locale: str = ""  # the requester's client language (a Discord locale): the result's labels

    def token_valid(self, margin: float = 30.0) -> bool:
        return bool(self.interaction_token) and time.time() - self.created_at < TOKEN_LIFETIME - margin

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> PendingJob:
        data = json.loads(text)
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class GuildConfig:
    """What ``/config`` set for one guild; None (or empty) where it set nothing.

    Stored as a Redis hash of strings (:meth:`from_hash`, :meth:`to_hash`); a value that
    does not parse reads as unset, so a bad entry never takes a guild down.
    """

    channels: tuple[int, ...] = ()  # the channels it answers in (none: all)
    default_genre: str | None = None  # what /compose uses when no genre is given
    buttons: Literal["requester", "everyone"] = "requester"  # who may use a result's buttons
    cooldown_seconds: float | None = None  # the rate limits: None keeps the bot's own
    max_concurrent_per_user: int | None = None
    daily_quota_per_guild: int | None = None
    max_queue_length: int | None = None
    safe_mode: Literal["on", "off"] | None = None  # None: the guild's own settings decide
    blocked_words: tuple[str, ...] = ()  # the guild's own, as stored (see bot.safety)

    LIMITS = ("cooldown_seconds", "max_concurrent_per_user", "daily_quota_per_guild", "max_queue_length")

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> GuildConfig:
        values: dict[str, Any] = {}
        channels = [c for c in raw.get("channels", "").split(",") if c.strip().isdigit()]
        values["channels"] = tuple(int(c) for c in channels)
        values["default_genre"] = raw.get("default_genre") or None
        values["buttons"] = "everyone" if raw.get("buttons") == "everyone" else "requester"
        for name, cast in zip(cls.LIMITS, (float, int, int, int), strict=True):
            with contextlib.suppress(KeyError, ValueError):
                values[name] = cast(raw[name])
        values["safe_mode"] = raw.get("safe_mode") if raw.get("safe_mode") in ("on", "off") else None
        try:
            words = json.loads(raw.get("blocked_words") or "[]")
        except ValueError:
            words = []
        values["blocked_words"] = tuple(str(w) for w in words) if isinstance(words, list) else ()
        return cls(**values)

    def to_hash(self) -> dict[str, str]:
        """Every field as a string ("" for unset), so a write replaces what was there."""
        out = {f.name: "" if getattr(self, f.name) is None else str(getattr(self, f.name))
               for f in fields(self)}
        out["channels"] = ",".join(str(c) for c in self.channels)
        out["blocked_words"] = json.dumps(sorted(self.blocked_words))
        return out

    def limit_overrides(self) -> dict[str, float | int]:
        """The rate limits this guild set (see :meth:`bot.limits.Limits.with_overrides`)."""
        return {name: getattr(self, name) for name in self.LIMITS if getattr(self, name) is not None}

    def allows(self, channel_id: int | None) -> bool:
        """Whether the bot answers in ``channel_id`` here."""
        return not self.channels or channel_id in self.channels


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
    async def guild_config(self, guild_id: int | None) -> GuildConfig:
        """The guild's ``/config`` (the defaults outside a guild)."""
        if guild_id is None:
            return GuildConfig()
        raw = await self.redis.hgetall(GUILD_CONFIG_KEY.format(guild_id))
        return GuildConfig.from_hash({k.decode(): v.decode() for k, v in raw.items()})

    async def set_guild_config(self, guild_id: int, config: GuildConfig) -> None:
        await self.redis.hset(GUILD_CONFIG_KEY.format(guild_id), mapping=config.to_hash())
