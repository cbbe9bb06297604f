"""Worker settings: read from the environment once, then frozen.

This is the only module under ``workers/`` that reads ``os.environ``. Every
other module asks :func:`get_settings` (or takes a :class:`WorkerSettings`
argument, which keeps tests free of environment juggling).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workers.contracts import SentinelAddress, sentinel_address

REPO_ROOT = Path(__file__).resolve().parent.parent

# Used when REDIS_URL is unset and nobody started the embedded stack: the
# conventional local Redis. ``python -m workers.embedded serve`` sets REDIS_URL
# for its worker child, so the fallback only matters for hand-run workers.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# WARMUP=wiki,music: the default text model with its sampling buckets for the
# default length at every batch size up to BATCH_MAX_SIZE; music: the `best`
# model of every genre, traced once.
WARMUP_CHOICES = ("wiki", "music")


# Below this, a heartbeat (a ninth of it) delayed by a busy host could let a running job be redelivered.
MIN_VISIBILITY_TIMEOUT = 2


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be used."""


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker process needs to know about its environment.

    Time limits are in seconds. A job whose worker died is redelivered
    ``visibility_timeout`` seconds after that worker's last heartbeat; a live
    worker's heartbeat keeps the jobs it holds from being redelivered, however
    long they run (:mod:`workers.heartbeat`).
    """

    redis_url: str | None  # None: not configured (embedded mode starts its own Redis)
    model_dir: Path
    data_dir: Path
    log_level: str = "INFO"
    log_json: bool = True
    soft_time_limit: float = 120.0  # the task gets SoftTimeLimitExceeded -> timeout result
    time_limit: float = 150.0  # the pool kills the child
    visibility_timeout: int = 45  # a dead worker's jobs are redelivered after this
    result_expires: int = 24 * 3600
    max_deliveries: int = 3  # a job that kept killing its worker is failed after this many
    batch_window_ms: float = 30.0  # dynamic batching: how long at most to collect concurrent jobs
    batch_gap_ms: float = 5.0  # ... and how long a lull in arrivals closes a batch early
    batch_max_size: int = 16
    metrics_port: int | None = None  # Prometheus exporter; None: off
    warmup: tuple[str, ...] = ()  # WARMUP: what a worker loads and compiles before its first job
    sentinel_master: str | None = None  # REDIS_SENTINEL_MASTER: REDIS_URL lists sentinels

    @property
    def sentinel(self) -> SentinelAddress | None:
        """The sentinels and master when REDIS_URL is a ``sentinel://`` URL, else None."""
        return sentinel_address(self.broker_url, self.sentinel_master)

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between a worker's refreshes of the jobs it holds: many per visibility timeout."""
        return self.visibility_timeout / 9

    @property
    def restore_interval(self) -> float:
        """Seconds between kombu's sweeps for jobs to redeliver (at most 5)."""
        return max(1.0, min(5.0, self.visibility_timeout / 6))

    @property
    def broker_url(self) -> str:
        return self.redis_url or DEFAULT_REDIS_URL

    def wiki_checkpoint(self, name: str = "wiki_writer") -> Path:
        """Path of a text checkpoint by model name (``<MODEL_DIR>/<name>.keras``)."""
        return self.model_dir / f"{name}.keras"


def _number(env: Mapping[str, str], key: str, default: float, cast: type = float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError as exc:
        raise SettingsError(f"{key}={raw!r} is not a {cast.__name__}") from exc
    if value < 0:
        raise SettingsError(f"{key}={raw!r} must not be negative")
    return value


def _path(env: Mapping[str, str], key: str, default: Path) -> Path:
    raw = env.get(key, "").strip()
    path = Path(raw).expanduser() if raw else default
    return path if path.is_absolute() else (Path.cwd() / path)


def load_settings(env: Mapping[str, str] | None = None) -> WorkerSettings:
    """Build settings from ``env`` (default: the process environment).

    Raises:
        SettingsError: a variable is malformed or the limits are inconsistent.
    """
    env = os.environ if env is None else env
    soft = _number(env, "TASK_SOFT_TIME_LIMIT", 120.0)
    hard = _number(env, "TASK_TIME_LIMIT", max(150.0, soft + 30.0))
    if hard <= soft:
        raise SettingsError(f"TASK_TIME_LIMIT ({hard}) must exceed TASK_SOFT_TIME_LIMIT ({soft})")
    visibility = int(_number(env, "VISIBILITY_TIMEOUT", 45, int))
    if visibility < MIN_VISIBILITY_TIMEOUT:
        raise SettingsError(f"VISIBILITY_TIMEOUT ({visibility}) must be at least {MIN_VISIBILITY_TIMEOUT} s")
    port_raw = env.get("METRICS_PORT", "").strip()
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError(f"LOG_LEVEL={log_level!r} is not a logging level")
    redis_url = env.get("REDIS_URL", "").strip() or None
    sentinel_master = env.get("REDIS_SENTINEL_MASTER", "").strip() or None
    try:
        sentinel_address(redis_url or DEFAULT_REDIS_URL, sentinel_master)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    data_default = REPO_ROOT.parent / "shared" / "data"
    warmup = tuple(dict.fromkeys(w.strip().lower() for w in env.get("WARMUP", "").split(",") if w.strip()))
    unknown = [w for w in warmup if w not in WARMUP_CHOICES]
    if unknown:
        raise SettingsError(f"WARMUP={env.get('WARMUP')!r}: unknown {unknown}; choose from {list(WARMUP_CHOICES)}")
    return WorkerSettings(
        redis_url=redis_url,
        sentinel_master=sentinel_master,
        model_dir=_path(env, "MODEL_DIR", REPO_ROOT / "models" / "checkpoints"),
        data_dir=_path(env, "DATA_DIR", data_default),
        log_level=log_level,
        log_json=env.get("LOG_FORMAT", "json").strip().lower() != "text",
        soft_time_limit=soft,
        time_limit=hard,
        visibility_timeout=visibility,
        result_expires=int(_number(env, "RESULT_EXPIRES", 24 * 3600, int)),
        max_deliveries=max(1, int(_number(env, "MAX_DELIVERIES", 3, int))),
        batch_window_ms=_number(env, "BATCH_WINDOW_MS", 30.0),
        batch_gap_ms=_number(env, "BATCH_GAP_MS", 5.0),
        batch_max_size=max(1, int(_number(env, "BATCH_MAX_SIZE", 16, int))),
        metrics_port=int(port_raw) if port_raw.isdigit() else None,
        warmup=warmup,
    )


@functools.cache
def get_settings() -> WorkerSettings:
    """The process-wide settings, read from the environment on first call."""
    return load_settings()


def child_environ(**overrides: str) -> dict[str, str]:
    """The environment for a child process: this one's, with ``overrides`` applied.

    Lives here so that reading ``os.environ`` stays in one module.
    """
    env = dict(os.environ)
    env.update(overrides)
    return env
