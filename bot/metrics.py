"""Prometheus metrics for the bot: queue depth, job latency by kind and phase, failures, limits.

The metrics live in their own registry (:data:`REGISTRY`) and are served by
:func:`start_exporter` on ``BOT_METRICS_PORT`` (off by default). Names:

- ``wikimuse_bot_queue_depth{queue}``: messages waiting in each Redis queue, read
  (``LLEN``) on every scrape; ``wikimuse_bot_pending_jobs``: jobs the bot still owes
  an answer for.
- ``wikimuse_bot_job_seconds{kind,phase}`` (histogram), phases:

  - ``ack``: the interaction's creation (its snowflake) to the bot's deferral;
  - ``queued``: enqueued to the first poll that sees the job running;
  - ``run``: that poll to the result;
  - ``wait``: enqueued to the result (``queued`` + ``run``; also when a job ran
    between two polls, so that no split was seen);
  - ``deliver``: the result to the reply sent;
  - ``total``: the interaction's creation to the reply sent.

  ``queued`` and ``run`` are measured at the bot's poll resolution (``poll_interval``).
- ``wikimuse_bot_jobs_total{kind,code}``: results delivered, ``code`` ``ok`` or the
  error code; ``wikimuse_bot_failures_total{kind,code}``: the failures among them,
  plus ``backend_unavailable`` (could not enqueue, or lost Redis while waiting).
- ``wikimuse_bot_refusals_total{limit}``: requests refused by a limit (cooldown,
  concurrent, quota, queue).

This module imports no discord code: the call sites pass plain values.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import redis_client
from workers import contracts

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

JOB_SECONDS = Histogram(
    "wikimuse_bot_job_seconds", "Job latency seen by the bot, by kind and phase.", ["kind", "phase"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 40, 80, 160, 320, 640),
    registry=REGISTRY,
)
JOBS = Counter("wikimuse_bot_jobs_total", "Results delivered, by kind and code (ok or the error code).",
               ["kind", "code"], registry=REGISTRY)
FAILURES = Counter("wikimuse_bot_failures_total", "Jobs that failed, by kind and error code.",
                   ["kind", "code"], registry=REGISTRY)
REFUSALS = Counter("wikimuse_bot_refusals_total", "Requests refused by a limit, by limit.", ["limit"],
                   registry=REGISTRY)

BACKEND_UNAVAILABLE = "backend_unavailable"
UNDELIVERABLE = "undeliverable"  # Discord refused the result (no permission, repeated 5xx)


def kind_of(task_name: str) -> str:
    """``wikimuse.wiki`` -> ``wiki`` (the task's :attr:`~workers.contracts.TaskSpec.short`)."""
    spec = contracts.TASKS.get(task_name)
    return spec.short if spec is not None else task_name.rsplit(".", 1)[-1]


def observe(task_name: str, phase: str, seconds: float) -> None:
    if seconds >= 0:
        JOB_SECONDS.labels(kind_of(task_name), phase).observe(seconds)


def count_result(task_name: str, code: str | None) -> None:
    """One delivered result: ``code`` None for success, else the ErrorResult's code."""
    JOBS.labels(kind_of(task_name), code or "ok").inc()
    if code:
        FAILURES.labels(kind_of(task_name), code).inc()


def count_failure(task_name: str, code: str) -> None:
    FAILURES.labels(kind_of(task_name), code).inc()


def count_refusal(limit: str) -> None:
    REFUSALS.labels(limit).inc()


class QueueDepthCollector(Collector):
    """``wikimuse_bot_queue_depth{queue}`` and ``wikimuse_bot_pending_jobs``, read from Redis per scrape."""

    def __init__(self, redis_url: str, pending_key: str, sentinel_master: str | None = None) -> None:
        # The synchronous client: scrapes run in the exporter's thread.
        self.client = redis_client.connect(redis_url, sentinel_master, asynchronous=False,
                                           socket_connect_timeout=1, socket_timeout=1)
        self.pending_key = pending_key

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("wikimuse_bot_queue_depth", "Messages waiting per queue.", labels=["queue"])
        pending = GaugeMetricFamily("wikimuse_bot_pending_jobs", "Jobs the bot still owes an answer for.")
        try:
            for queue in (contracts.QUEUE_TEXT, contracts.QUEUE_MUSIC):
                depth.add_metric([queue], self.client.llen(queue))
            pending.add_metric([], self.client.hlen(self.pending_key))
        except Exception as exc:  # a scrape must not fail because Redis is away
            log.warning("queue depth unavailable: %s", exc)
        yield depth
        yield pending

    def close(self) -> None:
        redis_client.close(self.client)


@dataclass
class Exporter:
    """A running ``/metrics`` HTTP server; :meth:`stop` shuts it down."""

    port: int
    server: object
    thread: threading.Thread
    collector: QueueDepthCollector

    def stop(self) -> None:
        self.server.shutdown()  # type: ignore[attr-defined]
        self.server.server_close()  # type: ignore[attr-defined]
        self.thread.join(5)
        REGISTRY.unregister(self.collector)
        self.collector.close()


def start_exporter(port: int, redis_url: str, pending_key: str, addr: str = "0.0.0.0",
                   sentinel_master: str | None = None) -> Exporter:
    """Serve :data:`REGISTRY` on ``addr:port`` (``port`` 0: any free port) in a daemon thread."""
    collector = QueueDepthCollector(redis_url, pending_key, sentinel_master)
    REGISTRY.register(collector)
    try:
        server, thread = start_http_server(port, addr=addr, registry=REGISTRY)
    except BaseException:
        REGISTRY.unregister(collector)
        collector.close()
        raise
    bound = server.server_address[1]
    log.info("metrics on %s:%d/metrics", addr, bound)
    return Exporter(bound, server, thread, collector)
