"""Settings come from the environment once; a missing token is one clear line, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_settings_from_environment(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text("abc.def\n")
    settings = load_settings({"DISCORD_TOKEN_FILE": str(token_file), "ALLOWED_GUILD_IDS": "1, 2",
                              "LOG_LEVEL": "debug", "REDIS_URL": "redis://x:6379/0"})
    assert settings.token == "abc.def"
    assert settings.allowed_guild_ids == frozenset({1, 2})
    assert settings.log_level == "DEBUG" and settings.redis_url == "redis://x:6379/0"
    assert load_settings({"DISCORD_TOKEN": "t"}).redis_url is None


def test_redis_behind_sentinel():
    urls = "sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26379/0"
    settings = load_settings({"DISCORD_TOKEN": "t", "REDIS_URL": urls, "REDIS_SENTINEL_MASTER": "mymaster"})
    assert (settings.redis_url, settings.redis_sentinel_master) == (urls, "mymaster")
    assert load_settings({"DISCORD_TOKEN": "t", "REDIS_URL": "redis://x"}).redis_sentinel_master is None
    for env, words in (({"REDIS_URL": urls}, "set REDIS_SENTINEL_MASTER"),
                       ({"REDIS_SENTINEL_MASTER": "m"}, "without REDIS_URL"),
                       ({"REDIS_URL": "redis://x", "REDIS_SENTINEL_MASTER": "m"}, "not a sentinel:// URL"),
                       ({"REDIS_URL": "sentinel://h:x", "REDIS_SENTINEL_MASTER": "m"}, "no valid port")):
        with pytest.raises(SettingsError, match=words):
            load_settings({"DISCORD_TOKEN": "t", **env})
    # The bot's Celery client names the master to kombu and to Celery's result backend.
    from bot.jobs import make_celery_client

    app = make_celery_client(urls, "mymaster")
    assert app.conf.broker_transport_options == {"master_name": "mymaster"}
    assert app.conf.result_backend_transport_options == {"master_name": "mymaster"}
    assert type(app.backend).__name__ == "SentinelBackend"
    app.close()


def test_shard_settings():
    default = load_settings({"DISCORD_TOKEN": "t"})
    assert default.shard_count is None and default.shard_ids is None and default.runs_shard(7)
    settings = load_settings({"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "3, 1",
                              "PENDING_LEASE_SECONDS": "5"})
    assert settings.shard_count == 4 and settings.shard_ids == (1, 3) and settings.lease_seconds == 5
    assert settings.runs_shard(1) and not settings.runs_shard(2)
    with pytest.raises(SettingsError, match="SHARD_IDS must be numbers from 0 to 3"):
        load_settings({"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "4"})


@pytest.mark.parametrize("env", [{"DISCORD_TOKEN": "t", "ALLOWED_GUILD_IDS": "abc"},
                                 {"DISCORD_TOKEN": "t", "LOG_LEVEL": "loud"},
                                 {"DISCORD_TOKEN": "t", "COOLDOWN_SECONDS": "-1"},
                                 {"DISCORD_TOKEN": "t", "CHALLENGE_POINTS_WIN": "-1"},
                                 {"DISCORD_TOKEN": "t", "CHALLENGE_POINTS_WIN": "2.5"},
                                 {"DISCORD_TOKEN": "t", "CHALLENGE_POINTS_RUNNER_UP": "1001"},
                                 {"DISCORD_TOKEN": "t", "CHALLENGE_POLL_SECONDS": "0.1"},
                                 {"DISCORD_TOKEN": "t", "CHALLENGE_POLL_SECONDS": "nan"},
                                 {"DISCORD_TOKEN": "t", "CHALLENGE_POLL_SECONDS": "soon"},
                                 {"DISCORD_TOKEN": "t", "SHARD_IDS": "0"},
                                 {"DISCORD_TOKEN": "t", "SHARD_COUNT": "2", "SHARD_IDS": "2"},
                                 {"DISCORD_TOKEN": "t", "SHARD_COUNT": "2", "SHARD_IDS": "a"},
                                 {"DISCORD_TOKEN": "t", "SHARD_COUNT": "0"},
                                 {"DISCORD_TOKEN": "t", "PENDING_LEASE_SECONDS": "0"},
                                 {"DISCORD_TOKEN_FILE": "/nonexistent/token"}])
def test_bad_values_are_refused(env):
    with pytest.raises(SettingsError):
        load_settings(env)


def test_challenge_settings_reach_the_cog(tmp_path: Path):
    from bot.cogs.challenges.config import ChallengeSettings

    defaults = load_settings({"DISCORD_TOKEN": "t", "BOT_DATA_DIR": str(tmp_path)})
    assert (defaults.challenge_points_win, defaults.challenge_points_runner_up,
            defaults.challenge_poll_seconds) == (3, 1, 30.0)
    settings = load_settings({"DISCORD_TOKEN": "t", "BOT_DATA_DIR": str(tmp_path),
                              "CHALLENGE_POINTS_WIN": "5", "CHALLENGE_POINTS_RUNNER_UP": "2",
                              "CHALLENGE_POLL_SECONDS": "7.5"})
    cog = ChallengeSettings.from_settings(settings)
    assert (cog.scoring.win, cog.scoring.runner_up, cog.poll_seconds) == (5, 2, 7.5)


def test_the_database_is_database_url_else_sqlite_in_the_data_dir(tmp_path: Path):
    from bot.client import database_url

    default = database_url(load_settings({"DISCORD_TOKEN": "t", "BOT_DATA_DIR": str(tmp_path)}))
    assert default.startswith("sqlite:///") and str(tmp_path.resolve()) in default
    assert database_url(load_settings(
        {"DISCORD_TOKEN": "t", "DATABASE_URL": "postgresql://localhost/wikimuse"})
    ) == "postgresql://localhost/wikimuse"


def test_bad_challenge_value_names_the_variable():
    with pytest.raises(SettingsError, match="CHALLENGE_POLL_SECONDS must be at least 1"):
        load_settings({"DISCORD_TOKEN": "t", "CHALLENGE_POLL_SECONDS": "0"})


def test_missing_token_exits_2_with_one_line_and_no_traceback():
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DISCORD_TOKEN_FILE")}
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "DISCORD_TOKEN" in lines[0] and "discord.com/developers" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
