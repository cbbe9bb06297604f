"""The bot's Prometheus exporter: off by default, configurable port, queue depth from Redis."""

from __future__ import annotations

import urllib.request

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.settings import SettingsError, load_settings
from bot.store import PENDING_KEY


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from a live /metrics endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_port_setting():
    assert load_settings({"DISCORD_TOKEN": "t"}).metrics_port is None  # off by default
    settings = load_settings({"DISCORD_TOKEN": "t", "BOT_METRICS_PORT": "9200", "BOT_METRICS_ADDR": "127.0.0.1"})
    assert settings.metrics_port == 9200 and settings.metrics_addr == "127.0.0.1"
    for bad in ("http", "-1", "70000"):
        with pytest.raises(SettingsError):
            load_settings({"DISCORD_TOKEN": "t", "BOT_METRICS_PORT": bad})


def test_exporter_serves_queue_depth_and_counters(scratch_redis_url: str, redis_client: redis.Redis):
    redis_client.lpush("text", "a", "b", "c")
    redis_client.lpush("music", "d")
    redis_client.hset(PENDING_KEY, mapping={"job1": "{}", "job2": "{}"})
    exporter = metrics.start_exporter(0, scratch_redis_url, PENDING_KEY, addr="127.0.0.1")
    try:
        before = scrape(exporter.port)
        metrics.count_refusal("cooldown")
        metrics.count_result("wikimuse.compose", "timeout")
        metrics.observe("wikimuse.wiki", "ack", 0.2)
        after = scrape(exporter.port)
    finally:
        exporter.stop()
    assert after[("wikimuse_bot_queue_depth", (("queue", "text"),))] == 3
    assert after[("wikimuse_bot_queue_depth", (("queue", "music"),))] == 1
    assert after[("wikimuse_bot_pending_jobs", ())] == 2

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("wikimuse_bot_refusals_total", limit="cooldown") == 1
    assert delta("wikimuse_bot_jobs_total", kind="compose", code="timeout") == 1
    assert delta("wikimuse_bot_failures_total", kind="compose", code="timeout") == 1
    assert delta("wikimuse_bot_job_seconds_count", kind="wiki", phase="ack") == 1
    assert delta("wikimuse_bot_job_seconds_bucket", kind="wiki", phase="ack", le="0.25") == 1
    # Stopped: the port is closed and the collector is gone (a new exporter can start).
    with pytest.raises(OSError):
        scrape(exporter.port)
    metrics.start_exporter(0, scratch_redis_url, PENDING_KEY, addr="127.0.0.1").stop()
