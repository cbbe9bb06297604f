"""Test and bench helpers around :class:`workers.embedded.WorkerProcess`.

Production starts and stops a worker; tests and benchmarks also look inside it (its
pool's children), signal it, and wait for its ``WARMUP`` to finish before measuring.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from workers.embedded import EmbeddedError, WorkerProcess


def child_pids(worker: WorkerProcess) -> list[int]:
    """Pids of the worker pool's child processes (prefork), from /proc (Linux)."""
    if not worker.alive():
        return []
    path = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def kill(worker: WorkerProcess, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the worker's main process, if it is running."""
    if worker.alive() and worker.proc is not None:
        worker.proc.send_signal(sig)


def wait_warm(worker: WorkerProcess, timeout: float = 600.0) -> None:
    """Block until the worker's ``WARMUP`` has finished (its log says ``warm-up done``).

    Needs ``log_path`` and a log level of INFO or lower; returns at once without ``WARMUP``.
    """
    if not worker.env.get("WARMUP"):
        return
    if worker.log_path is None:
        raise EmbeddedError("wait_warm needs the worker's log_path")
    deadline = time.monotonic() + timeout
    while "warm-up done" not in (log := Path(worker.log_path).read_text(errors="replace")):
        if "warm-up failed" in log:
            raise EmbeddedError(f"the worker's warm-up failed (see {worker.log_path})")
        if not worker.alive():
            raise EmbeddedError("the worker exited while warming up")
        if time.monotonic() > deadline:
            raise EmbeddedError(f"the worker did not finish warming up in {timeout:.0f} s")
        time.sleep(0.25)
