"""Keep the jobs this worker holds from being redelivered while they run, and let no
unacknowledged message fall out of kombu's sweep.

kombu's Redis transport records each unacknowledged message twice: its body in a hash
(``unacked``) and its delivery time in a sorted set (``unacked_index``); every worker's
sweep puts back on its queue any message whose index score is older than
``visibility_timeout``. That is how a job whose worker died is redelivered, and with a
short visibility timeout (so that redelivery takes seconds, not an hour) a job running
longer than it would be redelivered while it still runs. So the worker's main process,
which holds the messages, re-scores every message it holds to "now" every
``heartbeat_interval`` seconds: a job is redelivered only once no live worker holds it.

The sweep reads only the index. A message whose body is in ``unacked`` but whose index
entry is gone (a write Redis lost: a restart from an AOF or a replica missing the last
writes) would never be swept: if its worker then died, the job would stay there for
good, never run again, never answered. Two things close that gap:

- The refresh re-adds the index entry of a held message whose body is still in
  ``unacked`` (``ZADD`` guarded by ``HEXISTS`` in one script), and touches nothing
  else: an acknowledged message (body gone) is never brought back.
- Every worker also looks for bodies without an index entry. One still missing after
  ``orphan_after`` seconds (the visibility timeout: a live holder would have re-added
  it many times by then) is indexed with score 0, so that the next sweep, kombu's own,
  with its mutex and transaction, puts it back on its queue.
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
DEFAULT_UNACKED_KEY = "unacked"  # kombu's default ``unacked_key``

# KEYS: index, unacked. ARGV: now, tag... Re-scores (or re-adds) each tag whose body is
# still unacknowledged; returns how many.
_REFRESH = """
local n = 0
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
    n = n + 1
  end
end
return n
"""

# KEYS: index, unacked. The tags in ``unacked`` that have no index entry.
_ORPHANS = """
local out = {}
for _, tag in ipairs(redis.call('HKEYS', KEYS[2])) do
  if not redis.call('ZSCORE', KEYS[1], tag) then
    out[#out + 1] = tag
  end
end
return out
"""


def held_delivery_tags() -> list[str]:
    """Delivery tags of the messages this worker process holds: prefetched or running."""
    requests = [*worker_state.reserved_requests, *worker_state.active_requests]
    tags = {getattr(r.message, "delivery_tag", None) for r in requests}
    return sorted(t for t in tags if t)


class Heartbeat:
    """A daemon thread that refreshes the held messages and re-indexes orphans.

    Args:
        redis_url: the broker.
        sentinel_master: the master's name when ``redis_url`` lists sentinels.
        interval: seconds between beats (well under the visibility timeout).
        orphan_after: seconds a body may lack an index entry before it is re-indexed
            for the sweep (the visibility timeout); None: never.
        index_key, unacked_key: kombu's unacked index and hash.
        held: returns the delivery tags to refresh (default: :func:`held_delivery_tags`).
    """

    def __init__(self, redis_url: str, interval: float, *, orphan_after: float | None = None,
                 index_key: str = DEFAULT_INDEX_KEY, unacked_key: str = DEFAULT_UNACKED_KEY,
                 held: Callable[[], Iterable[str]] = held_delivery_tags,
                 sentinel_master: str | None = None) -> None:
        self.interval = interval
        self.orphan_after = orphan_after
        self.index_key = index_key
        self.unacked_key = unacked_key
        self.held = held
        self.client = redis_client(redis_url, sentinel_master, socket_connect_timeout=2, socket_timeout=5)
        self._refresh = self.client.register_script(_REFRESH)
        self._orphans = self.client.register_script(_ORPHANS)
        self._orphan_since: dict[bytes, float] = {}  # tag -> when it was first seen without an index entry
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> int:
        """Refresh the held messages once; returns how many were still unacknowledged."""
        tags = list(self.held())
        if not tags:
            return 0
        return int(self._refresh(keys=[self.index_key, self.unacked_key], args=[time.time(), *tags]) or 0)

    def reindex_orphans(self) -> int:
        """Give the sweep the bodies that lacked an index entry for ``orphan_after`` seconds;
        returns how many were re-indexed."""
        if self.orphan_after is None:
            return 0
        now = time.monotonic()
        orphans = set(self._orphans(keys=[self.index_key, self.unacked_key]) or ())
        self._orphan_since = {tag: self._orphan_since.get(tag, now) for tag in orphans}
        due = [tag for tag, since in self._orphan_since.items() if now - since >= self.orphan_after]
        if not due:
            return 0
        added = int(self.client.zadd(self.index_key, dict.fromkeys(due, 0), nx=True) or 0)
        for tag in due:
            del self._orphan_since[tag]
        if added:
            log.warning("%d unacknowledged message(s) had lost their place in the sweep's index; "
                        "re-indexed for redelivery", added)
        return added

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
                self.reindex_orphans()
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


def from_app(app: Any, interval: float, orphan_after: float | None = None) -> Heartbeat:
    """A heartbeat for ``app``'s broker and its transport's unacked index and hash."""
    options = app.conf.broker_transport_options or {}
    return Heartbeat(app.conf.broker_url, interval, orphan_after=orphan_after,
                     index_key=options.get("unacked_index_key", DEFAULT_INDEX_KEY),
                     unacked_key=options.get("unacked_key", DEFAULT_UNACKED_KEY),
                     sentinel_master=options.get("master_name"))
