"""Keep the jobs this worker holds from being redelivered while they run.

kombu's Redis transport records each unacknowledged message in a sorted set
(``unacked_index``) scored with the time it was delivered; every worker's sweep
puts back on its queue any message older than ``visibility_timeout``. That is
how a job whose worker died is redelivered, and with a short visibility timeout
(so that redelivery takes seconds, not an hour) a job running longer than it
would be redelivered while it still runs. So the worker's main process, which
holds the messages, re-scores every message it holds to "now" every
``heartbeat_interval`` seconds: a job is redelivered only once no live worker
holds it. ``ZADD XX`` only updates members still present, so an acknowledged
message is never brought back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis
from celery.worker import state as worker_state

from workers.broker import close_client, redis_client

log = logging.getLogger(__name__)

DEFAULT_INDEX_KEY = "unacked_index"  # kombu's default ``unacked_index_key``


def held_delivery_tags() -> list[str]:
    """Delivery tags of the messages this worker process holds: prefetched or running."""
    requests = [*worker_state.reserved_requests, *worker_state.active_requests]
    tags = {getattr(r.message, "delivery_tag", None) for r in requests}
    return sorted(t for t in tags if t)


class Heartbeat:
    """A daemon thread that refreshes ``index_key``'s score of every held message.

    Args:
        redis_url: the broker.
        sentinel_master: the master's name when ``redis_url`` lists sentinels.
        interval: seconds between beats (well under the visibility timeout).
        index_key: kombu's unacked index.
        held: returns the delivery tags to refresh (default: :func:`held_delivery_tags`).
    """

    def __init__(self, redis_url: str, interval: float, *, index_key: str = DEFAULT_INDEX_KEY,
                 held: Callable[[], Iterable[str]] = held_delivery_tags,
                 sentinel_master: str | None = None) -> None:
        self.interval = interval
        self.index_key = index_key
        self.held = held
        self.client = redis_client(redis_url, sentinel_master, socket_connect_timeout=2, socket_timeout=5)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> int:
        """Refresh the held messages once; returns how many were still unacknowledged."""
        tags = list(self.held())
        if not tags:
            return 0
        now = time.time()
        return int(self.client.zadd(self.index_key, dict.fromkeys(tags, now), xx=True, ch=True) or 0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except redis.RedisError as exc:  # Redis away: the next beat after it is back counts
                log.debug("heartbeat failed: %s", exc)

    def start(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="wikimuse-heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 1)
        close_client(self.client)


def from_app(app: Any, interval: float) -> Heartbeat:
    """A heartbeat for ``app``'s broker and its transport's unacked index."""
    options = app.conf.broker_transport_options or {}
    return Heartbeat(app.conf.broker_url, interval, index_key=options.get("unacked_index_key", DEFAULT_INDEX_KEY),
                     sentinel_master=options.get("master_name"))
