"""kombu's Redis transport, made to survive a Redis restart while jobs run.

Selected with ``broker_transport`` in :mod:`workers.app`: :class:`Transport` for a
``redis://`` URL, :class:`SentinelTransport` (the same changes on kombu's Sentinel
channel) for a ``sentinel://`` one. A job requeued because its worker child died
goes to the front of its queue (kombu puts it at the back). The other two changes are for a worker
whose connection to Redis broke while it still held unacknowledged (running) jobs:

- A channel keeps the connection parameters it was opened with. On a lost
  connection Celery's consumer first ``collect()`` s the kombu connection, which
  detaches the transport (``transport.client = None``), and then closes it; closing
  the channel restores its unacknowledged messages, and building a client for that
  read ``transport.client.hostname``: ``AttributeError: 'NoneType' object has no
  attribute 'hostname'``, and the worker exited with code 1. The same lookup broke
  the acknowledgement of a job that finished after the reconnect. Upstream code
  (celery 5.7.0, kombu 5.7.0): ``Consumer.on_connection_error_after_connected`` in
  celery/worker/consumer/consumer.py calls ``connection.collect()`` then
  ``connection.close()``; ``Connection._do_close_transport`` in kombu/connection.py
  sets ``client = None``; ``QoS.restore_unacked`` -> ``Channel.conn_or_acquire`` ->
  ``Channel._connparams`` in kombu/transport/redis.py dereferences it.
- A channel closed because the connection was lost does not push its
  unacknowledged messages back onto the queues: those jobs still run in this
  worker (a threads pool keeps running them across the reconnect), so a restore
  would run them twice. They stay in Redis' unacked index, where the worker's
  heartbeat keeps them invisible while they run (:mod:`workers.heartbeat`), their
  acknowledgement removes them, and kombu's visibility sweep redelivers them if this
  worker dies first. A channel closed on a normal shutdown (the transport still
  attached) restores as before.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
import redis.sentinel
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual as kombu_virtual

from workers import contracts

log = logging.getLogger(__name__)

TRANSPORT = "workers.broker:Transport"
SENTINEL_TRANSPORT = "workers.broker:SentinelTransport"


def _detached(channel: Any) -> bool:
    transport = channel.connection
    return transport is None or transport.client is None


class QoS(kombu_redis.QoS):
    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        """A requeued message (its worker child died) goes back to the front of its queue.

        kombu LPUSHes it, behind every job sent since; workers BRPOP from the right.
        """
        if not requeue:
            super().reject(delivery_tag, requeue=False)
            return
        self.restore_by_tag(delivery_tag, leftmost=False)
        kombu_virtual.QoS.ack(self, delivery_tag)  # forget it here, as kombu's reject does

    def restore_unacked(self, client: Any = None) -> Any:
        if client is None and _detached(self.channel):
            if self._delivered:
                log.warning("broker connection lost with %d unacknowledged job(s); they stay unacknowledged "
                            "until they finish here, or the visibility timeout redelivers them",
                            len(self._delivered))
            return None
        return super().restore_unacked(client)


class Channel(kombu_redis.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._saved_connparams: dict[bool, dict[str, Any]] = {}
        super().__init__(*args, **kwargs)
        self._connparams(asynchronous=False)  # saved while the transport is attached

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if _detached(self):
            return dict(self._saved_connparams[asynchronous])
        params = super()._connparams(asynchronous=asynchronous)
        self._saved_connparams[asynchronous] = dict(params)
        return params


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelChannel(Channel, kombu_redis.SentinelChannel):
    """kombu's Sentinel channel with the changes above.

    kombu's Sentinel channel also reads the sentinels' addresses off the transport's
    client (``connection.client.alt``), which a detached channel no longer has: it reuses
    the Sentinel-managed pool it built while attached instead (that pool asks the
    sentinels for the current master on every new connection).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._saved_pools: dict[bool, Any] = {}
        super().__init__(*args, **kwargs)

    def _sentinel_managed_pool(self, asynchronous: bool = False) -> Any:
        if _detached(self) and asynchronous in self._saved_pools:
            return self._saved_pools[asynchronous]
        pool = super()._sentinel_managed_pool(asynchronous)
        self._saved_pools[asynchronous] = pool
        return pool


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel


def transport_for(url: str) -> str:
    """The ``broker_transport`` for a broker URL."""
    return SENTINEL_TRANSPORT if contracts.is_sentinel_url(url) else TRANSPORT


def redis_client(url: str, sentinel_master: str | None = None, **kwargs: Any) -> redis.Redis:
    """A redis-py client for the broker: ``url`` itself, or the master that the sentinels of a
    ``sentinel://`` URL name ``sentinel_master`` (followed across a failover)."""
    address = contracts.sentinel_address(url, sentinel_master)
    if address is None:
        return redis.Redis.from_url(url, **kwargs)
    timeouts = {k: v for k, v in kwargs.items() if k.startswith("socket_")}
    sentinel = redis.sentinel.Sentinel(address.sentinels, sentinel_kwargs=timeouts)
    return sentinel.master_for(address.master, **address.master_kwargs(), **kwargs)


def close_client(client: redis.Redis) -> None:
    """Close a client of :func:`redis_client`, and its connections to the sentinels."""
    client.close()
    sentinel = getattr(client.connection_pool, "sentinel_manager", None)
    if sentinel is not None:
        sentinel.close()
