"""Worker settings: read once from the environment, validated, and read nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workers.settings import REPO_ROOT, SettingsError, load_settings


def test_defaults():
    s = load_settings({})
    assert s.redis_url is None and s.broker_url == "redis://127.0.0.1:6379/0"
    assert s.model_dir == REPO_ROOT / "models" / "checkpoints"
    assert s.wiki_checkpoint() == s.model_dir / "wiki_writer.keras"
    assert s.time_limit > s.soft_time_limit > 0
    # A dead worker's jobs come back within about a minute; a live worker beats many times per timeout.
    assert s.visibility_timeout + s.restore_interval <= 60 and s.heartbeat_interval <= s.visibility_timeout / 5
    assert s.log_level == "INFO" and s.log_json and s.metrics_port is None
    assert s.warmup == ()


def test_values_from_env(tmp_path: Path):
    s = load_settings({"REDIS_URL": "redis://r:6379/2", "MODEL_DIR": str(tmp_path), "LOG_LEVEL": "debug",
                       "TASK_SOFT_TIME_LIMIT": "10", "TASK_TIME_LIMIT": "20", "VISIBILITY_TIMEOUT": "60",
                       "METRICS_PORT": "9100", "LOG_FORMAT": "text", "MAX_DELIVERIES": "0",
                       "WARMUP": " Music, wiki,music "})
    assert s.warmup == ("music", "wiki")
    assert (s.redis_url, s.model_dir, s.log_level, s.metrics_port) == ("redis://r:6379/2", tmp_path, "DEBUG", 9100)
    assert (s.soft_time_limit, s.time_limit, s.visibility_timeout) == (10, 20, 60)
    assert not s.log_json and s.max_deliveries == 1


@pytest.mark.parametrize("env, words", [
    ({"TASK_SOFT_TIME_LIMIT": "abc"}, "not a float"),
    ({"TASK_SOFT_TIME_LIMIT": "100", "TASK_TIME_LIMIT": "50"}, "must exceed"),
    ({"VISIBILITY_TIMEOUT": "1"}, "VISIBILITY_TIMEOUT"),
    ({"LOG_LEVEL": "LOUD"}, "logging level"),
    ({"BATCH_WINDOW_MS": "-1"}, "negative"),
    ({"WARMUP": "wiki,everything"}, "unknown"),
])
def test_bad_values_raise(env, words):
    with pytest.raises(SettingsError, match=words):
        load_settings(env)


def test_only_settings_reads_the_environment():
    offenders = []
    for path in sorted((REPO_ROOT / "workers").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "workers":
            continue
        text = path.read_text()
        if re.search(r"os\.environ|os\.getenv|getenv\(", text):
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []


def test_redis_behind_sentinel():
    from workers.app import create_app
    from workers.broker import SENTINEL_TRANSPORT, TRANSPORT

    urls = "sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26379/0"
    s = load_settings({"REDIS_URL": urls, "REDIS_SENTINEL_MASTER": "mymaster"})
    assert s.sentinel is not None and s.sentinel.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26379))
    # Celery and kombu get the master's name for the broker and the result backend alike.
    app = create_app(s)
    assert app.conf.broker_transport == SENTINEL_TRANSPORT and app.conf.broker_url == urls
    assert app.conf.broker_transport_options["master_name"] == "mymaster"
    assert app.conf.result_backend_transport_options["master_name"] == "mymaster"
    assert type(app.backend).__name__ == "SentinelBackend"
    plain = create_app(load_settings({"REDIS_URL": "redis://r:6379/0"}))
    assert plain.conf.broker_transport == TRANSPORT and "master_name" not in plain.conf.broker_transport_options
    with pytest.raises(SettingsError, match="REDIS_SENTINEL_MASTER"):
        load_settings({"REDIS_URL": urls})
    with pytest.raises(SettingsError, match="not a sentinel:// URL"):
        load_settings({"REDIS_SENTINEL_MASTER": "mymaster"})
