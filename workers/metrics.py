"""Prometheus metrics for workers: job latency (by kind and phase), failures by code, batch sizes, model load time.

Queue depth is a property of Redis, not of one worker, so a collector reads it
from the broker (``LLEN`` of each queue) on every scrape. The exporter is an
HTTP server on ``METRICS_PORT``; it starts in the process that runs tasks (the
worker itself for a threads pool, the child for prefork ``-c 1``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from workers import contracts, model_cache
from workers.settings import WorkerSettings

log = logging.getLogger(__name__)

JOB_SECONDS = Histogram(
    "wikimuse_job_seconds", "Time a worker spent on a job, by kind.", ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 40, 80, 160),
)
PHASE_SECONDS = Histogram(
    "wikimuse_job_phase_seconds",
    "Worker time per job and phase: generate (model sampling; a batch's call counts for each of its jobs), "
    "render (article formatting; MIDI, audio and PNG).", ["kind", "phase"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80),
)
JOBS = Counter("wikimuse_jobs_total", "Jobs finished, by kind and result code.", ["kind", "code"])
BATCH_SIZE = Histogram(
    "wikimuse_batch_size", "Jobs per batched model call.", ["kind"], buckets=(1, 2, 4, 8, 16, 32)
)
MODEL_LOAD_SECONDS = Histogram(
    "wikimuse_model_load_seconds", "Checkpoint load time.", ["kind"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60),
)
model_cache.load_listeners.append(lambda kind, seconds: MODEL_LOAD_SECONDS.labels(kind).observe(seconds))


@dataclass
class Outcome:
    code: str = "ok"


@contextlib.contextmanager
def job_timer(kind: str) -> Iterator[Outcome]:
    """Time a job; the caller sets ``outcome.code`` to the result's error code (or leaves ``ok``)."""
    outcome = Outcome()
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        outcome.code = "crash"
        raise
    finally:
        JOB_SECONDS.labels(kind).observe(time.perf_counter() - started)
        JOBS.labels(kind, outcome.code).inc()


def observe_phase(kind: str, phase: str, seconds: float, jobs: int = 1) -> None:
    """``jobs`` observations of ``seconds`` (every job of a batch waited for the whole call)."""
    histogram = PHASE_SECONDS.labels(kind, phase)
    for _ in range(jobs):
        histogram.observe(seconds)


def observe_batch(kind: str, size: int) -> None:
    BATCH_SIZE.labels(kind).observe(size)


class QueueDepthCollector(Collector):
    """``wikimuse_queue_depth{queue=...}``: messages waiting in each Redis queue."""

    def __init__(self, redis_url: str, sentinel_master: str | None = None) -> None:
        self.redis_url = redis_url
        self.sentinel_master = sentinel_master

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from workers.broker import close_client, redis_client

        family = GaugeMetricFamily("wikimuse_queue_depth", "Messages waiting per queue.", labels=["queue"])
        client = redis_client(self.redis_url, self.sentinel_master, socket_timeout=1)
        try:
            for queue in (contracts.QUEUE_TEXT, contracts.QUEUE_MUSIC):
                family.add_metric([queue], client.llen(queue))
        except Exception as exc:  # a scrape must not fail because Redis is down
            log.warning("queue depth unavailable: %s", exc)
        finally:
            close_client(client)
        yield family


_started = False


def _start(settings: WorkerSettings) -> None:
    global _started
    if _started or settings.metrics_port is None:
        return
    try:
        start_http_server(settings.metrics_port)
        REGISTRY.register(QueueDepthCollector(settings.broker_url, settings.sentinel_master))
        _started = True
        log.info("metrics on :%d/metrics", settings.metrics_port)
    except OSError as exc:
        log.warning("metrics exporter not started on port %s: %s", settings.metrics_port, exc)


def start_exporter_in_main(settings: WorkerSettings, runs_tasks_here: bool) -> None:
    """Start the exporter in the main worker process if tasks run there (threads/solo pools)."""
    if runs_tasks_here:
        _start(settings)


def start_exporter_in_child(settings: WorkerSettings) -> None:
    """Start the exporter in a prefork child (the first child that gets the port wins)."""
    _start(settings)
