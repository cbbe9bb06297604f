"""Bot settings: read from the environment once, then frozen.

This is the only module under ``bot/`` that reads ``os.environ``; everything else
takes a :class:`BotSettings` argument.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workers.contracts import sentinel_address

REPO_ROOT = Path(__file__).resolve().parent.parent

TOKEN_HELP = (
    "DISCORD_TOKEN is not set: create an application at https://discord.com/developers/applications, "
    "open Bot -> Reset Token, and put the token in DISCORD_TOKEN (or a file named by DISCORD_TOKEN_FILE)."
)


class SettingsError(ValueError):
    """An environment variable is missing or unusable; the message is one line for the user."""


@dataclass(frozen=True)
class BotSettings:
    """Everything the bot reads from its environment.

    ``redis_url`` None means embedded mode: the bot starts
    ``python -m workers.embedded serve`` and uses the URL it prints.
    Times are in seconds.
    """

    token: str
    redis_url: str | None = None
    redis_sentinel_master: str | None = None  # REDIS_URL lists sentinels (sentinel://...;sentinel://...)
    allowed_guild_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    log_json: bool = True
    data_dir: Path = field(default_factory=lambda: Path.cwd() / "var")
    database_url: str | None = None
    model_dir: Path = REPO_ROOT / "models" / "checkpoints"  # /about reads the JSON sidecars
    progress_interval: float = 2.0  # at most one edit of a deferred reply per interval
    poll_interval: float = 0.5  # how often waiting jobs' queue positions are read (state changes are pushed)
    job_timeout: float = 600.0  # give up waiting for a result after this long
    embedded_start_timeout: float = 180.0
    sync_guild_id: int | None = None  # --sync to one guild (instant) instead of globally
    # Limits (defaults; /config overrides them per guild).
    cooldown_seconds: float = 10.0
    max_concurrent_per_user: int = 2
    daily_quota_per_guild: int = 500
    max_queue_length: int = 50
    # Challenges: points per placing (stored with each result) and the scheduler's poll.
    challenge_points_win: int = 3
    challenge_points_runner_up: int = 1
    challenge_poll_seconds: float = 30.0
    # Prometheus exporter (bot/metrics.py): None keeps it off; 0 picks a free port.
    metrics_port: int | None = None
    metrics_addr: str = "0.0.0.0"
    # Sharding: None asks Discord how many shards; shard_ids None runs all of them here.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    lease_seconds: float = 30.0  # a pending job's owner renews its lease; others take it after this

    def runs_shard(self, shard_id: int) -> bool:
        """Whether this process connects shard ``shard_id``."""
        return self.shard_ids is None or shard_id in self.shard_ids


def _int_set(text: str, name: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated numeric guild ids, got {text!r}") from None


def _number(env: Mapping[str, str], name: str, default: float, cast: type = float,
            low: float = 0, high: float | None = None) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise SettingsError(f"{name} must be {kind}, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):  # nan, inf
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if value < low:
        raise SettingsError(f"{name} must not be negative, got {raw!r}" if low == 0
                            else f"{name} must be at least {low:g}, got {raw!r}")
    if high is not None and value > high:
        raise SettingsError(f"{name} must be at most {high:g}, got {raw!r}")
    return value


def _shards(env: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    """``SHARD_COUNT`` and ``SHARD_IDS``: the ids need the count, and each is below it."""
    count = int(_number(env, "SHARD_COUNT", 0, int, low=1)) if env.get("SHARD_COUNT", "").strip() else None
    raw_ids = env.get("SHARD_IDS", "").strip()
    if not raw_ids:
        return count, None
    if count is None:
        raise SettingsError("SHARD_IDS needs SHARD_COUNT (the total number of shards across all bot processes)")
    try:
        ids = tuple(sorted({int(part) for part in raw_ids.replace(" ", "").split(",") if part}))
    except ValueError:
        raise SettingsError(f"SHARD_IDS must be comma-separated shard numbers, got {raw_ids!r}") from None
    if not ids or any(not 0 <= shard < count for shard in ids):
        raise SettingsError(f"SHARD_IDS must be numbers from 0 to {count - 1} (SHARD_COUNT={count}), "
                            f"got {raw_ids!r}")
    return count, ids


def _redis(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """``REDIS_URL`` and ``REDIS_SENTINEL_MASTER``, which a ``sentinel://`` URL needs (and only it)."""
    url = env.get("REDIS_URL", "").strip() or None
    master = env.get("REDIS_SENTINEL_MASTER", "").strip() or None
    if url is None and master:
        raise SettingsError("REDIS_SENTINEL_MASTER is set without REDIS_URL: list the sentinels in REDIS_URL "
                            "(sentinel://host:26379;sentinel://host2:26379)")
    try:
        sentinel_address(url or "", master)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    return url, master


def _token(env: Mapping[str, str]) -> str:
    token = env.get("DISCORD_TOKEN", "").strip()
    token_file = env.get("DISCORD_TOKEN_FILE", "").strip()
    if not token and token_file:
        try:
            token = Path(token_file).read_text().strip()
        except OSError as exc:
            raise SettingsError(f"DISCORD_TOKEN_FILE={token_file} cannot be read: {exc.strerror}") from None
    if not token:
        raise SettingsError(TOKEN_HELP)
    return token


def load_settings(environ: Mapping[str, str] | None = None) -> BotSettings:
    """Build :class:`BotSettings` from ``environ`` (default: ``os.environ``).

    Raises:
        SettingsError: the token is missing or a value is malformed (one-line message).
    """
    env = os.environ if environ is None else environ
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
    sync_guild = env.get("SYNC_GUILD_ID", "").strip()
    metrics_port = env.get("BOT_METRICS_PORT", "").strip()
    shard_count, shard_ids = _shards(env)
    redis_url, sentinel_master = _redis(env)
    return BotSettings(
        token=_token(env),
        redis_url=redis_url,
        redis_sentinel_master=sentinel_master,
        allowed_guild_ids=_int_set(env.get("ALLOWED_GUILD_IDS", ""), "ALLOWED_GUILD_IDS"),
        log_level=level,
        log_json=env.get("LOG_FORMAT", "json").strip().lower() != "text",
        data_dir=Path(env.get("BOT_DATA_DIR", "").strip() or Path.cwd() / "var"),
        database_url=env.get("DATABASE_URL", "").strip() or None,
        model_dir=Path(env.get("MODEL_DIR", "").strip() or REPO_ROOT / "models" / "checkpoints"),
        job_timeout=_number(env, "BOT_JOB_TIMEOUT", 600.0),
        sync_guild_id=int(next(iter(_int_set(sync_guild, "SYNC_GUILD_ID")))) if sync_guild else None,
        cooldown_seconds=_number(env, "COOLDOWN_SECONDS", 10.0),
        max_concurrent_per_user=int(_number(env, "MAX_CONCURRENT_PER_USER", 2, int)),
        daily_quota_per_guild=int(_number(env, "DAILY_QUOTA_PER_GUILD", 500, int)),
        max_queue_length=int(_number(env, "MAX_QUEUE_LENGTH", 50, int)),
        challenge_points_win=int(_number(env, "CHALLENGE_POINTS_WIN", 3, int, high=1000)),
        challenge_points_runner_up=int(_number(env, "CHALLENGE_POINTS_RUNNER_UP", 1, int, high=1000)),
        challenge_poll_seconds=_number(env, "CHALLENGE_POLL_SECONDS", 30.0, low=1.0, high=3600.0),
        metrics_port=int(_number(env, "BOT_METRICS_PORT", 0, int, high=65535)) if metrics_port else None,
        metrics_addr=env.get("BOT_METRICS_ADDR", "").strip() or "0.0.0.0",
        shard_count=shard_count,
        shard_ids=shard_ids,
        lease_seconds=_number(env, "PENDING_LEASE_SECONDS", 30.0, low=1.0, high=3600.0),
    )
