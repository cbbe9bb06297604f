"""bench/load.py's core on a tiny configuration, so the load benchmark cannot rot.

Real everything (a private redis-server, a real Celery worker with the tiny
models, the real bot in a child process, the emulator): 3 users send 6 mixed
interactions within 3 s with the bot's production limits, so the 10 s cooldown
must refuse some of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import LoadConfig, markdown, normalise_refusal, percentile, run_load
from tests.e2e.log_scan import DEFAULT_TOKEN, find_leaks

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_percentile_and_refusal_grouping():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 99) == 99.0
    assert percentile([float(i) for i in range(1, 101)], 100) == 100.0
    assert normalise_refusal("You're going a bit fast. Try again <t:1764000000:R>.") == \
        "You're going a bit fast. Try again <t:…>."


async def test_load_bench_tiny_run(tiny_all_models_dir: Path, tmp_path: Path):
    config = LoadConfig(model_dir=tiny_all_models_dir, users=3, interactions=6, seconds=3.0, workers=(1,),
                        wiki_length=120, compose_seconds=5, compose_model="lstm", single_runs=1,
                        log_dir=tmp_path)
    report = await run_load(config)
    (run,) = report["runs"]
    assert run["sent"] == 6
    # Every interaction was acknowledged within Discord's 3 s.
    assert run["ack_under_3s"] == 6 and run["ack_p99_s"] < 3
    # Each one either got its result or was refused by a limit; nothing was lost.
    assert run["outcomes"].get("ok", 0) + run["outcomes"].get("refused", 0) == 6, run["outcomes"]
    # Discord would have accepted every request the bot sent (and none hit a rate limit).
    assert run["refused_by_discord"] == {}, run["refused_by_discord"]
    # 6 interactions from 3 users within 3 s: the 10 s cooldown refused at least 3.
    assert run["outcomes"].get("refused", 0) >= 3
    assert any("going a bit fast" in message for message in run["refusals"]), run["refusals"]
    assert run["ok"] >= 1 and run["jobs_per_min"] > 0
    assert 0 < run["e2e_p50_s"] <= run["e2e_p95_s"] < 120
    assert run["ready_p50_s"] is not None and 0 < run["ready_p50_s"] <= run["e2e_p95_s"]
    # The single-request timings came back, for both commands.
    for command in ("wiki", "compose"):
        single = run["single"][command]
        assert single["ok"] == 1 and single["e2e_p50_s"] > 0, single
    # Memory was read from the real processes.
    for key in ("rss_mb_before", "rss_mb_after"):
        assert run[key]["bot"] > 20 and run[key]["workers"] > 20, run[key]
    assert run["bot_alive"] and all(run["workers_alive"])
    # The bot's own /metrics saw the same run: one ack per interaction it deferred.
    deferred = run["sent"] - run["outcomes"].get("refused", 0)
    acks = sum(v["count"] for k, v in run["bot_metrics"]["phase_means"].items() if k.endswith("/ack"))
    assert acks == deferred, run["bot_metrics"]
    assert run["bot_metrics"]["counters"].get("refusals_total{limit=cooldown}") == run["outcomes"]["refused"]
    # The bot child read the token from DISCORD_TOKEN and logged JSON lines, none with the token.
    bot_lines = Path(run["bot_log"]).read_text().splitlines()
    assert any('"message": "enqueued wikimuse.' in line for line in bot_lines)
    worker_lines = [line for path in run["worker_logs"] for line in Path(path).read_text().splitlines()]
    assert any('"msg": "job finished"' in line for line in worker_lines)
    # The worker warmed up (WARMUP=wiki,music, as in docker-compose) before anything was measured.
    assert any('"msg": "warm-up done' in line for line in worker_lines) and run["worker_warmup_seconds"] >= 0
    assert find_leaks(bot_lines + worker_lines, [DEFAULT_TOKEN]) == []
    table = markdown(report)
    assert "| 1 (text,music) | 6 |" in table and "/compose 5 s" in table
