"""The workers' own Redis clients (heartbeat, exporter) reach the master that a real sentinel names."""

from __future__ import annotations

from pathlib import Path

import redis

from tests.sentinel_harness import MASTER, Sentinel
from workers import contracts, heartbeat
from workers.app import create_app
from workers.metrics import QueueDepthCollector
from workers.settings import load_settings


def test_the_heartbeat_and_the_exporter_follow_the_sentinel(redis_server_factory, tmp_path: Path):
    master = redis_server_factory()
    sentinel = Sentinel(tmp_path, master.port)
    direct = redis.Redis(port=master.port)
    app = create_app(load_settings({"REDIS_URL": sentinel.url, "REDIS_SENTINEL_MASTER": MASTER}))
    try:
        direct.zadd(heartbeat.DEFAULT_INDEX_KEY, {"held-tag": 1.0})
        direct.hset(heartbeat.DEFAULT_UNACKED_KEY, "held-tag", "its body")  # kombu keeps both
        beat = heartbeat.from_app(app, 1.0)  # the master's name comes from the app's transport options
        beat.held = lambda: ["held-tag", "acknowledged-tag"]
        assert beat.beat() == 1  # only the message still unacknowledged is refreshed
        assert direct.zscore(heartbeat.DEFAULT_INDEX_KEY, "held-tag") > 1.0
        assert direct.zscore(heartbeat.DEFAULT_INDEX_KEY, "acknowledged-tag") is None
        beat.stop()

        direct.lpush(contracts.QUEUE_TEXT, "a", "b")
        (family,) = QueueDepthCollector(sentinel.url, MASTER).collect()
        assert {s.labels["queue"]: s.value for s in family.samples} == {contracts.QUEUE_TEXT: 2,
                                                                         contracts.QUEUE_MUSIC: 0}
    finally:
        app.close()
        direct.close()
        sentinel.stop()
