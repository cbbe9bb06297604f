"""Workers export Prometheus metrics and log JSON lines that carry the job id."""

from __future__ import annotations

import json
import urllib.request

from workers import contracts
from workers.contracts import ComposeJob, ErrorResult, MusicResult, WikiJob, result_from_dict
from workers.embedded import free_port


def test_metrics_and_json_logs(start_celery_worker, celery_app, tiny_music_model_dir):
    port = free_port()
    worker = start_celery_worker(queues=("obs",), env={"MODEL_DIR": str(tiny_music_model_dir),
                                                        "METRICS_PORT": str(port)})
    bad = WikiJob(job_id="obs-bad-" + contracts.new_job_id(), seed="", length=300)
    good = ComposeJob(job_id="obs-good-" + contracts.new_job_id(), genre="chorale", model="lstm", seconds=5)
    r1 = celery_app.send_task(contracts.TASK_WIKI, args=[bad.to_dict()], queue="obs")
    r2 = celery_app.send_task(contracts.TASK_COMPOSE, args=[good.to_dict()], queue="obs")
    assert isinstance(result_from_dict(r1.get(timeout=120)), ErrorResult)
    assert isinstance(result_from_dict(r2.get(timeout=180)), MusicResult)

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert 'wikimuse_jobs_total{code="bad_input",kind="wiki"} 1.0' in text
    assert 'wikimuse_jobs_total{code="ok",kind="compose"} 1.0' in text
    assert 'wikimuse_job_seconds_count{kind="compose"} 1.0' in text
    assert 'wikimuse_model_load_seconds_count{kind="music"} 1.0' in text
    assert 'wikimuse_queue_depth{queue="text"}' in text and 'wikimuse_queue_depth{queue="music"}' in text

    records = []
    for line in worker.log_tail(1_000_000).splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    for job in (bad, good):
        messages = [r["msg"] for r in records if r.get("job_id") == job.job_id]
        assert "job started" in messages and "job finished" in messages, messages
    assert any(r.get("job_id") == good.job_id and r["logger"] == "workers.model_cache" for r in records)
