"""Real round trips through Redis and a Celery worker process, by task name."""

from __future__ import annotations

import time
import uuid

from kombu import Connection, Exchange, Producer

from models.text.format import ENDING_SLACK
from tests.workers.wiki_jobs import run_wiki
from workers import contracts
from workers.contracts import ErrorResult, WikiJob, WikiResult, result_from_dict

SEED = "The history of the city"


def _run_task(app, name: str, args: list, timeout: float, **options) -> tuple[dict, list[tuple[str, object]]]:
    """Send a task and follow it on the result backend's pub/sub, subscribed before it
    is sent: return the result and every (state, meta) the worker stored, in order
    (however fast the job runs, no state is missed between two polls)."""
    task_id = str(uuid.uuid4())
    pubsub = app.backend.client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(app.backend.get_key_for_task(task_id))
    seen: list[tuple[str, object]] = []
    try:
        app.send_task(name, args=args, task_id=task_id, **options)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1.0)
            if message is None:
                continue
            meta = app.backend.decode_result(message["data"])
            seen.append((meta["status"], meta.get("result")))
            if meta["status"] in ("SUCCESS", "FAILURE"):
                return app.AsyncResult(task_id).get(timeout=5), seen
    finally:
        pubsub.close()
    raise AssertionError(f"no result after {timeout}s; states seen: {seen}")


def test_app_is_json_only_with_late_acks():
    from workers.app import app

    conf = app.conf
    assert conf.task_serializer == "json" and conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"] and list(conf.result_accept_content) == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit > conf.task_soft_time_limit
    options = conf.broker_transport_options
    assert options["unacked_restore_throttle"] == 1  # every sweep scans
    assert options["unacked_restore_interval"] < options["visibility_timeout"] <= 60
    assert conf.broker_transport == "workers.broker:Transport"
    assert conf.task_track_started
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in contracts.TASK_QUEUES}
    assert routed == contracts.TASK_QUEUES


def test_wiki_round_trip_reports_progress(celery_app, celery_worker):
    job = WikiJob(job_id=contracts.new_job_id(), seed=SEED, length=300, temperature=0.8, rng_seed=7)
    payload, seen = _run_task(celery_app, contracts.TASK_WIKI, [job.to_dict()], timeout=180)

    result = result_from_dict(payload)
    assert isinstance(result, WikiResult), payload
    assert result.job_id == job.job_id
    assert result.text.startswith(SEED)
    # The article ends at a sentence end or word end near its length (models.text.format.end_cleanly).
    assert len(SEED) < result.chars == len(result.text) <= len(SEED) + 300 + ENDING_SLACK
    assert result.title and result.markdown
    phases = [meta["phase"] for state, meta in seen if state == contracts.STATE_PROGRESS]
    assert phases, f"no PROGRESS state seen: {seen}"
    assert set(phases) <= {"loading", "writing", "formatting"}
    for state, meta in seen:
        if state == contracts.STATE_PROGRESS:
            assert 0.0 <= meta["fraction"] <= 1.0 and meta["kind"] == "progress"


def test_bad_input_gives_user_safe_error(celery_app, celery_worker):
    job = WikiJob(job_id="bad-1", seed="   ", length=300)
    payload, _ = _run_task(celery_app, contracts.TASK_WIKI, [job.to_dict()], 60)
    result = result_from_dict(payload)
    assert isinstance(result, ErrorResult)
    assert (result.job_id, result.code) == ("bad-1", contracts.ERR_BAD_INPUT)
    assert "seed" in result.message.lower()


def test_malformed_payload_gives_bad_input(celery_app, celery_worker):
    for payload in ("not a job", {"job_id": "m-1", "kind": "compose_job"}, {"job_id": "m-2", "kind": "wiki_job"}):
        out, _ = _run_task(celery_app, contracts.TASK_WIKI, [payload], 60)
        result = result_from_dict(out)
        assert isinstance(result, ErrorResult) and result.code == contracts.ERR_BAD_INPUT, out
        assert "Traceback" not in result.message


def test_an_error_past_the_soft_limit_is_a_timeout(redis_url):
    """The soft limit's exception is raised wherever the job is; inside TensorFlow's tracing it
    surfaces as a StagingError. Once the limit has passed, any error is the limit's: the user
    is told the job took too long, not that something broke. Before it, an error is internal."""
    from workers import tasks
    from workers.app import create_app
    from workers.settings import load_settings

    app = create_app(load_settings({"REDIS_URL": redis_url}))

    @app.task(name=contracts.TASK_WIKI, bind=True, shared=False)
    def wiki(self, job):  # the task object _run reads its request, app and backend from
        raise AssertionError("not called")

    def failing_after(seconds: float):
        def runner(payload, report):
            time.sleep(seconds)
            raise RuntimeError("in user code: SystemError: bad argument to internal function")
        return runner

    codes = {}
    try:
        for name, soft, sleep in (("past", 0.05, 0.2), ("within", 30.0, 0.0), ("none", None, 0.0)):
            wiki.push_request(id=str(uuid.uuid4()), timelimit=(None, soft))
            try:
                if soft is None:
                    app.conf.task_soft_time_limit = None
                codes[name] = result_from_dict(tasks._run(wiki, {"job_id": name}, failing_after(sleep)))
            finally:
                wiki.pop_request()
    finally:
        app.close()
    assert codes["past"].code == contracts.ERR_TIMEOUT and "too long" in codes["past"].message
    assert codes["within"].code == contracts.ERR_INTERNAL
    assert codes["none"].code == contracts.ERR_INTERNAL


def test_pickle_message_is_refused(celery_app, celery_worker, redis_url):
    """A pickle-serialised message never runs: the worker only accepts JSON."""
    task_id = contracts.new_job_id()
    with Connection(redis_url) as conn:
        producer = Producer(conn)
        producer.publish(
            [[{"job_id": task_id, "kind": "wiki_job", "seed": "x" * 20}], {}, {}],
            exchange=Exchange(contracts.QUEUE_TEXT, type="direct"),
            routing_key=contracts.QUEUE_TEXT,
            serializer="pickle",
            headers={"lang": "py", "task": contracts.TASK_WIKI, "id": task_id, "root_id": task_id,
                     "parent_id": None, "group": None, "retries": 0, "argsrepr": "", "kwargsrepr": ""},
            declare=[],
        )
    # The worker consumes and drops it; a JSON job sent after it is served normally.
    follow = WikiJob(job_id="after-pickle", seed="", length=300)
    out, _ = _run_task(celery_app, contracts.TASK_WIKI, [follow.to_dict()], 60)
    assert result_from_dict(out).job_id == "after-pickle"
    time.sleep(0.5)
    assert celery_app.AsyncResult(task_id).state == "PENDING"  # never ran, never stored
    log = celery_worker.log_tail(200_000)
    assert "untrusted content" in log and "pickle" in log


def test_compose_round_trip_by_name(start_celery_worker, celery_app, tiny_music_model_dir):
    start_celery_worker(queues=("music_tiny",), env={"MODEL_DIR": str(tiny_music_model_dir)})
    job = contracts.ComposeJob(job_id=contracts.new_job_id(), genre="chorale", model="best", seconds=8, rng_seed=2)
    payload, seen = _run_task(celery_app, contracts.TASK_COMPOSE, [job.to_dict()], 180, queue="music_tiny")
    result = result_from_dict(payload)
    assert isinstance(result, contracts.MusicResult), payload
    assert result.job_id == job.job_id and result.model == "lstm"
    assert result.attachments[0].mime == "audio/ogg" and result.attachments[0].data[:4] == b"OggS"
    phases = {meta["phase"] for state, meta in seen if state == contracts.STATE_PROGRESS}
    assert phases and phases <= {"loading", "composing", "rendering"}


def test_threads_worker_batches_concurrent_wiki_jobs(start_celery_worker, celery_app, tiny_model_dir):
    """Concurrent jobs share one generate call, and each still gets its own seed's article."""
    from workers.settings import load_settings

    start_celery_worker(queues=("text_batched",), pool="threads", concurrency=8,
                        env={"BATCH_WINDOW_MS": "500", "BATCH_MAX_SIZE": "8"})
    jobs = [WikiJob(job_id=contracts.new_job_id(), seed=f"Article number {i} is about", length=150,
                    rng_seed=100 + i) for i in range(6)]
    sent = [celery_app.send_task(contracts.TASK_WIKI, args=[j.to_dict()], queue="text_batched") for j in jobs]
    results = [result_from_dict(s.get(timeout=240)) for s in sent]
    assert all(isinstance(r, WikiResult) for r in results), results
    assert max(r.batch_size for r in results) > 1
    settings = load_settings({"MODEL_DIR": str(tiny_model_dir)})
    for job, result in zip(jobs[:2], results[:2], strict=True):
        assert result.job_id == job.job_id
        assert run_wiki(job, settings).text == result.text


def test_compose_at_the_longest_length(start_celery_worker, celery_app, tiny_music_model_dir):
    """The longest clip a user may ask for renders (run in a worker: a crash must not kill pytest)."""
    start_celery_worker(queues=("music_long",), env={"MODEL_DIR": str(tiny_music_model_dir)})
    job = contracts.ComposeJob(job_id=contracts.new_job_id(), genre="chorale", model="lstm",
                               seconds=contracts.MUSIC_SECONDS_MAX, rng_seed=3)
    sent = celery_app.send_task(contracts.TASK_COMPOSE, args=[job.to_dict()], queue="music_long")
    result = result_from_dict(sent.get(timeout=300))
    assert isinstance(result, contracts.MusicResult), result
    assert result.seconds >= contracts.MUSIC_SECONDS_MAX - 1
