from __future__ import annotations

from urllib.parse import quote

import pytest
import redis

from tests.emulator.fixtures import discord_emulator  # noqa: F401


@pytest.fixture
def scratch_redis_url(redis_client: redis.Redis) -> str:
    """A Redis database no worker consumes from, flushed before each test."""
    kw = redis_client.connection_pool.connection_kwargs
    auth = f":{quote(kw['password'], safe='')}@" if kw.get("password") else ""
    return f"redis://{auth}{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"
