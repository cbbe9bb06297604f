"""bench/chaos.py on a tiny configuration: every fault once, against the real processes.

Real everything (a private redis-server with an AOF, a threads text worker and a
prefork music worker with the tiny models, the real bot in a child process, the
emulator): 4 users send 18 interactions within 18 s while the bot is SIGKILLed and
restarted, Redis is SIGKILLed and restarted, the music pool child is SIGKILLed, the
music worker's main process is SIGKILLed and restarted, and a fifth of the bot's
REST requests is answered 429 or 5xx. The chaos targets must hold.

The load goes on for 3.5 s after the last fault, and the results are waited for up to
two minutes, so that a loaded 2-core host passes it too: there the restarted bot took up
to 8 s to reconnect, and a pool child 15-25 s to warm up (twice over for a job whose
child and then whose worker were killed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.chaos import LIFTED_LIMITS, ChaosConfig, markdown, run_chaos
from bench.load import LoadConfig
from tests.e2e.log_scan import DEFAULT_TOKEN, find_leaks

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


async def test_chaos_bench_tiny_run(tiny_all_models_dir: Path, tmp_path: Path):
    load = LoadConfig(model_dir=tiny_all_models_dir, users=4, interactions=18, seconds=18.0, workers=(2,),
                      wiki_length=120, compose_seconds=5, compose_model="lstm", single_runs=0,
                      text_concurrency=4, result_timeout=120.0, log_dir=tmp_path,
                      # a dead worker's jobs come back after 6 s, not 45 s
                      worker_env={"VISIBILITY_TIMEOUT": "6", "BATCH_MAX_SIZE": "4"}, **LIFTED_LIMITS)
    # The schedule (seed 0) sends at 4.51 (compose), 4.66, 5.07 (compose), 5.46 (compose), 7.29, 7.57,
    # 8.58 (compose), 9.08 (compose), 9.2 (compose), 10.5, 11.13, 13.6 (compose), 13.64, 14.11
    # (compose), 15.2 (compose), 16.35, 16.38 (compose) and 17.69 s: the bot dies with the first
    # job pending and is down for the next ones, Redis dies with the 8.58 s /compose in flight,
    # the music pool child is killed 1.2 s after that, and the music worker dies while it holds
    # the 14.11 s /compose; jobs of both queues are sent after every fault.
    config = ChaosConfig(load, kill_bot_at=4.75, kill_redis_at=8.65, redis_down=0.5, kill_child_every=9.85,
                         max_child_kills=1, kill_worker_at=14.2, http_fault_share=0.2, settle_seconds=3.0)
    report = await run_chaos(config)
    counts = report["counts"]
    detail = json.dumps({"not_ok": report["not_ok"], "broker": report["broker_at_end"]}, indent=1)[:4000]
    print(detail)  # whole, in the captured output of a failure (an assertion message is cut short)
    assert counts["sent"] == 18, report["broker_at_end"]

    # Each fault struck once, and each killed process came back.
    assert sorted(f["kind"] for f in report["faults"]) == ["bot", "child", "redis", "worker"], report["faults"]
    assert all(f["back_s"] is not None for f in report["faults"] if f["kind"] != "child"), report["faults"]
    assert report["http_faults"].get("429", 0) + report["http_faults"].get("5xx", 0) > 0
    assert report["refused_by_discord"], "no request was answered 429 or 5xx"
    assert report["alive_at_end"] == {"bot": True, "worker text": True, "worker music": True}
    assert report["unplanned_exits"] == [] and report["chaos_errors"] == [], report

    # The targets: nothing delivered twice, no accepted job lost, no error of ours shown,
    # and every ack within 3 s but for interactions the killed bot could not answer.
    assert counts["duplicates"] == 0, detail
    assert counts["never_delivered"] == 0, detail
    assert counts["errors_ours"] == 0, (report["errors_by_kind"], detail)
    assert counts["no_ack"] == 0 and counts["ack_under_3s"] == counts["acknowledged"], detail
    assert report["targets_met"]
    # Every interaction is accounted for, and the load went on around the faults.
    assert (counts["delivered_once"] + counts["refused_redis_down"] + counts["bot_down"]) == 18, report["outcomes"]
    assert counts["delivered_once"] >= 6 and counts["bot_down"] >= 1, report["outcomes"]
    # After each fault a job sent later was delivered.
    assert all(f["recovery_s"] is not None for f in report["faults"]), report["faults"]

    table = markdown(report)
    print(table)
    assert "| bot SIGKILL |" in table and "target duplicates: 0" in table
    logs = [line for path in [report["stack"]["bot_log"], *report["stack"]["worker_logs"]]
            for line in Path(path).read_text().splitlines()]
    assert find_leaks(logs, [DEFAULT_TOKEN]) == []


@pytest.mark.parametrize(("down_at", "outcome"), [(8.65, "refused_redis_down"), (9.9, "error")])
def test_an_unavailable_reply_counts_as_correct_only_if_redis_went_down_before_it(down_at, outcome):
    # A /compose sent at 8.58 s, deferred after 1.0 s, whose reply says the generator is
    # unavailable at 9.7 s: correct if Redis died while the bot handled it, an error of ours
    # if Redis was still up when the bot refused.
    from types import SimpleNamespace

    from bench.chaos import UNAVAILABLE, Fate, _outcome

    fate = Fate(8.58, "compose", 1, ack_s=1.0, shown=[UNAVAILABLE + " Please try again later."], shown_at_s=9.7)
    chaos = SimpleNamespace(redis_down=[[down_at, down_at + 0.5]], bot_down=[])
    record = SimpleNamespace(callback_type=5, ephemeral=False, callback_json=None)
    assert _outcome(fate, record, chaos) == outcome
