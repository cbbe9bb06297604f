"""The bot's Redis clients: ``REDIS_URL`` itself, or the master its sentinels name.

With ``REDIS_URL=sentinel://host:26379;sentinel://host2:26379`` and
``REDIS_SENTINEL_MASTER`` (the form the workers read too, see
:func:`workers.contracts.sentinel_address`), every connection asks the sentinels for
the current master: after a failover, a broken connection (pub/sub included) is made
again to the promoted replica.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel
import redis.sentinel

from workers.contracts import sentinel_address


@overload
def connect(url: str, sentinel_master: str | None, *, asynchronous: Literal[True] = ...,
            **kwargs: Any) -> aioredis.Redis: ...
@overload
def connect(url: str, sentinel_master: str | None, *, asynchronous: Literal[False],
            **kwargs: Any) -> redis.Redis: ...
def connect(url: str, sentinel_master: str | None, *, asynchronous: bool = True,
            **kwargs: Any) -> aioredis.Redis | redis.Redis:
    """A client for ``url`` (asyncio by default; the synchronous one for threads).

    ``kwargs`` (timeouts, health checks) apply to the connections to Redis; the
    connections to the sentinels get the same socket timeouts.
    """
    address = sentinel_address(url, sentinel_master)
    if address is None:
        return (aioredis.Redis if asynchronous else redis.Redis).from_url(url, **kwargs)
    sentinel_cls = redis.asyncio.sentinel.Sentinel if asynchronous else redis.sentinel.Sentinel
    timeouts = {k: v for k, v in kwargs.items() if k.startswith("socket_")}
    sentinel = sentinel_cls(address.sentinels, sentinel_kwargs=timeouts)
    return sentinel.master_for(address.master, **address.master_kwargs(), **kwargs)


async def aclose(client: aioredis.Redis) -> None:
    """Close an asyncio client of :func:`connect`, and its connections to the sentinels."""
    await client.aclose()
    sentinel = getattr(client.connection_pool, "sentinel_manager", None)
    if sentinel is not None:
        await sentinel.aclose()


def close(client: redis.Redis) -> None:
    """Close a synchronous client of :func:`connect`, and its connections to the sentinels."""
    client.close()
    sentinel = getattr(client.connection_pool, "sentinel_manager", None)
    if sentinel is not None:
        sentinel.close()
