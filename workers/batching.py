"""Dynamic batching of concurrent /wiki jobs inside one worker process.

Like text-generation-inference's router: task threads submit jobs, one batcher
thread collects whatever arrives within a short window (or until the batch is
full), runs a single batched ``generate`` call, and hands each task thread its
own result. A character LSTM step costs almost the same for 16 rows as for one
on a CPU, so throughput grows nearly with the batch size.

This only helps when several tasks run in the same process at once, i.e. a
threads pool (``celery -A workers.app worker -Q text -P threads -c 16``). In a
prefork child (one task at a time) the batcher runs each job inline, without
waiting for a window.

A batch is not held for its whole window when nothing else is coming. A task announces
itself when it starts (:meth:`Batcher.arriving`); a batch waits for announced tasks that
have not submitted yet, and otherwise closes after a lull of ``gap_s`` with no arrival (a
burst's jobs reach the worker a millisecond or so apart). A lone job waits ``gap_s``, not
the window; jobs that arrive while a batch generates form the next one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from workers import metrics, pipeline
from workers.contracts import Progress, WikiJob
from workers.settings import get_settings

log = logging.getLogger(__name__)

BatchRunner = Callable[[Sequence[WikiJob], Sequence[Callable[[Progress], None]]], list[Any]]


@dataclass
class _Pending:
    job: WikiJob
    progress: Callable[[Progress], None]
    future: Future = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)


class Batcher:
    """Collects concurrent jobs into batches for ``run_batch``.

    Args:
        run_batch: runs a list of jobs, returning one result per job in order.
        max_size: the largest batch; 1 runs every job inline in the caller's thread.
        window_s: how long at most to wait, after the first job of a batch arrived,
            for more jobs to join it.
        gap_s: a batch with no announced job pending closes once no job has arrived for
            this long (default: the window, i.e. the batch waits out its window).
    """

    def __init__(self, run_batch: BatchRunner, max_size: int, window_s: float, gap_s: float | None = None) -> None:
        self.run_batch = run_batch
        self.max_size = max(1, max_size)
        self.window_s = max(0.0, window_s)
        self.gap_s = self.window_s if gap_s is None else min(max(0.0, gap_s), self.window_s)
        self._pending: list[_Pending] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._announced = 0  # tasks inside arriving() that have not submitted yet
        self._last_arrival = 0.0  # monotonic time of the last announcement or submission
        self._local = threading.local()

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Around a task that will submit a job: a batch being collected waits for it
        (at most its window). Leaving without submitting withdraws the announcement."""
        with self._cond:
            self._announced += 1
            self._last_arrival = time.monotonic()
        self._local.announced = True
        try:
            yield
        finally:
            with self._cond:
                if self._withdraw():
                    self._cond.notify_all()

    def _withdraw(self) -> bool:
        """Take back this thread's announcement, if it has one (hold ``_cond``)."""
        if not getattr(self._local, "announced", False):
            return False
        self._local.announced = False
        self._announced -= 1
        return True

    def submit(self, job: WikiJob, progress: Callable[[Progress], None], timeout: float | None = None) -> Any:
        """Run ``job`` (in a batch when others are waiting) and return its result.

        Raises:
            TimeoutError: the result was not ready within ``timeout`` seconds.
        """
        if self.max_size == 1:
            metrics.observe_batch("wiki", 1)
            return self.run_batch([job], [progress])[0]
        item = _Pending(job, progress)
        with self._cond:
            self._withdraw()
            self._pending.append(item)
            self._last_arrival = item.arrived
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="wiki-batcher", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return item.future.result(timeout=timeout)

    def _take(self) -> list[_Pending]:
        with self._cond:
            while not self._pending:
                self._cond.wait()
            deadline = self._pending[0].arrived + self.window_s
            while len(self._pending) < self.max_size:
                now = time.monotonic()
                remaining = deadline - now
                if remaining <= 0:
                    break
                if self._announced == 0:  # nothing known to be coming: close after a lull
                    lull = self.gap_s - (now - self._last_arrival)
                    if lull <= 0:
                        break
                    remaining = min(remaining, lull)
                self._cond.wait(remaining)
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            return batch

    def _loop(self) -> None:
        while True:
            batch = self._take()
            metrics.observe_batch("wiki", len(batch))
            try:
                results = self.run_batch([p.job for p in batch], [p.progress for p in batch])
            except BaseException as exc:  # hand the error to every waiting task
                for p in batch:
                    p.future.set_exception(exc)
                continue
            for p, result in zip(batch, results, strict=True):
                p.future.set_result(result)


_concurrency = 1
_batcher: Batcher | None = None
_batcher_lock = threading.Lock()


def set_worker_concurrency(concurrency: int) -> None:
    """How many tasks this process may run at once (set at worker start)."""
    global _concurrency, _batcher
    _concurrency = max(1, concurrency)
    _batcher = None


def get_batcher() -> Batcher:
    """The process-wide wiki batcher, sized to the worker's concurrency."""
    global _batcher
    with _batcher_lock:
        if _batcher is None:
            s = get_settings()
            _batcher = Batcher(
                lambda jobs, callbacks: pipeline.run_wiki_batch(jobs, s, callbacks),
                max_size=min(s.batch_max_size, _concurrency),
                window_s=s.batch_window_ms / 1000.0,
                gap_s=s.batch_gap_ms / 1000.0,
            )
        return _batcher
