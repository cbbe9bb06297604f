"""Security: the Discord token never reaches a log line, end to end.

The bot reads a known fake token the production way (``DISCORD_TOKEN_FILE``),
logs in to the emulator with it and runs real flows through Redis and a real
Celery worker with the tiny models: /wiki, /compose, a refusal by a limit and a
worker error. Everything logged is captured at DEBUG level: every record in the
test process, formatted by the bot's JSON formatter and by a plain formatter
(plus pytest's caplog), the test process' stdout/stderr, and the worker's whole
log file (its stdout and stderr). None may contain the token or its secret part.
Interaction tokens (webhook credentials for 15 minutes) must not appear at the
production log level (INFO) or above either; discord.py itself logs request
URLs, which contain them, at DEBUG only.

The scanner is checked against planted lines first, so the test can fail.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.e2e.log_scan import LogCapture, find_leaks
from tests.emulator.harness import PATIENT_LIMITS, running_bot
from tests.emulator.server import DiscordEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


def fake_token() -> str:
    """A token in Discord's shape (base64 id . timestamp . HMAC), unique to this run."""
    return f"MTA5ODc2NTQzMjEwOTg3NjU0.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(30)}"


def secret_forms(token: str) -> list[str]:
    """What must never be logged: the token, and its HMAC part on its own (the secret)."""
    return [token, token.rsplit(".", 1)[1]]


def test_the_autouse_scan_captures_this_test(no_token_in_logs: LogCapture, discord_emulator):
    """The per-test scan (tests/e2e/log_scan.py) sees what a test logs, at DEBUG too."""
    logging.getLogger("bot.client").debug("planted %s", discord_emulator.token)
    assert len(find_leaks(no_token_in_logs.texts(), [discord_emulator.token])) == 3
    no_token_in_logs.lines.clear()  # else this test's own teardown fails, as it should


def test_scanner_finds_planted_lines():
    token = fake_token()
    lines = ["all good", f'{{"message": "login with {token}"}}', f"Authorization: Bot {token}",
             f"signature {token.rsplit('.', 1)[1]} only"]
    assert find_leaks(lines, secret_forms(token)) == lines[1:]
    assert find_leaks(["all good", token[:-1]], secret_forms(token)) == []


def _result(emulator: DiscordEmulator, record) -> dict | None:
    message = emulator.original_message(record)
    return message if message and message["embeds"] else None


async def test_token_never_appears_in_any_log(tmp_path: Path, caplog, capfd, redis_server_factory,
                                              start_celery_worker, tiny_all_models_dir):
    token = fake_token()
    token_file = tmp_path / "discord-token"
    token_file.write_text(token + "\n")
    settings = load_settings({"DISCORD_TOKEN_FILE": str(token_file)})  # the production path
    assert settings.token == token

    server = redis_server_factory()
    worker = start_celery_worker(queues=("text", "music"), redis_url_override=server.url,
                                 env={"MODEL_DIR": str(tiny_all_models_dir), "LOG_LEVEL": "DEBUG",
                                      **PATIENT_LIMITS})
    collect = LogCapture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    emulator = await DiscordEmulator(token=settings.token).start()
    try:
        with emulator.patch_discord():
            async with running_bot(emulator, redis_url=server.url, log_json=True, cooldown_seconds=30.0):
                alice, bob, carol = (emulator.add_user(n) for n in ("alice", "bob", "carol"))
                wiki = await emulator.invoke("wiki", {"seed": "The history of", "length": 120}, user=alice)
                compose = await emulator.invoke(
                    "compose", {"genre": "chorale", "model": "lstm", "length": 5}, user=bob)
                refused = await emulator.invoke("wiki", {"seed": "Again", "length": 120}, user=alice)
                bad = await emulator.invoke("wiki", {"seed": "\u2603\u2603 snow", "length": 120}, user=carol)
                await emulator.wait_for_callback(refused, timeout=3)
                assert refused.ephemeral
                for record in (wiki, compose, bad):
                    await emulator.wait_for(lambda r=record: _result(emulator, r), 180, "a result")
                # The bot really logged in with the token (it is in its requests, not its logs).
                assert any(r.authorization == f"Bot {token}" for r in emulator.requests)
    finally:
        await emulator.stop()
        root.removeHandler(collect)
        root.setLevel(old_level)
    emulator.assert_no_invalid_requests()

    worker_lines = worker.log_tail(10_000_000).splitlines()
    captured = capfd.readouterr()
    bot_lines = [text for _, text in collect.lines]
    every_line = bot_lines + caplog.text.splitlines() + worker_lines + \
        captured.out.splitlines() + captured.err.splitlines()

    # The captures are live: they hold the flows' own lines.
    job_ids = {c["custom_id"].rsplit(":", 1)[1] for record in (wiki, compose)
               for row in _result(emulator, record)["components"] for c in row["components"]}
    assert len(job_ids) == 2
    for job_id in job_ids:
        assert any(job_id in line and "enqueued" in line for line in bot_lines), job_id
        assert any(job_id in line and "job finished" in line for line in worker_lines), job_id
    assert any(line.startswith('{"level": "DEBUG"') for line in bot_lines)
    assert any('"level": "DEBUG"' in line for line in worker_lines)

    assert find_leaks(every_line, secret_forms(token)) == []
    interaction_tokens = [record.token for record in emulator.interactions.values()]
    production = [text for level, text in collect.lines if level >= logging.INFO] + [
        line for line in worker_lines if '"level": "DEBUG"' not in line]
    assert find_leaks(production, interaction_tokens) == []

    # And the same scan does catch a line that leaks, through the same capture.
    root.addHandler(collect)
    try:
        logging.getLogger("bot.delivery").warning("planted: %s", token)
    finally:
        root.removeHandler(collect)
    assert len(find_leaks([text for _, text in collect.lines], secret_forms(token))) == 3
