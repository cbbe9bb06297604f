"""Faults, each against a real worker process: SIGKILL mid-job, a poison job, a time limit.

Each test starts its own worker on its own queue, so killing it cannot disturb
the session's shared worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
import redis

from workers import contracts
from workers.contracts import ErrorResult, WikiJob, WikiResult, result_from_dict

pytestmark = pytest.mark.e2e


def _deliveries(client: redis.Redis, task_id: str) -> int:
    return int(client.get(f"wikimuse:deliveries:{task_id}") or 0)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _send(celery_app, queue: str, **job_fields):
    job = WikiJob(job_id=contracts.new_job_id(), seed="The old bridge", **job_fields)
    return job, celery_app.send_task(contracts.TASK_WIKI, args=[job.to_dict()], queue=queue)


def _kill_running_child(worker, client: redis.Redis, task_id: str, delivery: int) -> int:
    """Wait until delivery number ``delivery`` of the task is running, then SIGKILL its child."""
    _wait(lambda: _deliveries(client, task_id) >= delivery, 120, f"delivery {delivery}")
    child = _wait(worker.child_pids, 30, "a pool child")[0]
    os.kill(child, signal.SIGKILL)
    _wait(lambda: child not in worker.child_pids() and worker.child_pids(), 30, "a fresh child")
    return child


def test_sigkill_mid_job_is_redelivered_and_finished_once(start_celery_worker, celery_app, redis_url):
    worker = start_celery_worker(queues=("faults_kill",))
    client = redis.Redis.from_url(redis_url)
    job, sent = _send(celery_app, "faults_kill", length=contracts.WIKI_LENGTH_MAX, rng_seed=9)
    _kill_running_child(worker, client, sent.id, delivery=1)

    result = result_from_dict(sent.get(timeout=240))
    assert isinstance(result, WikiResult) and result.job_id == job.job_id
    assert _deliveries(client, sent.id) == 2
    log = worker.log_tail(1_000_000)
    finished = [line for line in log.splitlines() if job.job_id in line and "job finished" in line]
    assert len(finished) == 1, finished
    assert worker.alive()


def test_poison_job_is_capped(start_celery_worker, celery_app, redis_url):
    worker = start_celery_worker(queues=("faults_poison",), env={"MAX_DELIVERIES": "2"})
    client = redis.Redis.from_url(redis_url)
    job, sent = _send(celery_app, "faults_poison", length=contracts.WIKI_LENGTH_MAX)
    for delivery in (1, 2):  # the job "kills" its worker every time it runs
        _kill_running_child(worker, client, sent.id, delivery)

    result = result_from_dict(sent.get(timeout=120))
    assert isinstance(result, ErrorResult) and result.job_id == job.job_id
    assert result.code == contracts.ERR_INTERNAL and "repeatedly" in result.message
    assert _deliveries(client, sent.id) == 3
    # The queue is empty: no endless redelivery loop.
    time.sleep(1.0)
    assert client.llen("faults_poison") == 0 and _deliveries(client, sent.id) == 3


def test_soft_time_limit_gives_timeout_and_worker_keeps_serving(start_celery_worker, celery_app):
    worker = start_celery_worker(queues=("faults_timeout",))
    _, warm = _send(celery_app, "faults_timeout", length=100)
    assert isinstance(result_from_dict(warm.get(timeout=180)), WikiResult)  # TensorFlow and model loaded
    child = worker.child_pids()

    job = WikiJob(job_id=contracts.new_job_id(), seed="The old bridge", length=contracts.WIKI_LENGTH_MAX)
    slow = celery_app.send_task(contracts.TASK_WIKI, args=[job.to_dict()], queue="faults_timeout",
                                soft_time_limit=0.05, time_limit=120)
    result = result_from_dict(slow.get(timeout=180))
    assert isinstance(result, ErrorResult) and result.code == contracts.ERR_TIMEOUT, result
    assert "too long" in result.message

    _, after = _send(celery_app, "faults_timeout", length=100)
    assert isinstance(result_from_dict(after.get(timeout=60)), WikiResult)
    assert worker.child_pids() == child  # the same child served on


def test_hard_time_limit_gives_timeout_result_and_a_fresh_child(start_celery_worker, celery_app,
                                                                 tiny_music_model_dir):
    # No soft limit here, so the hard one is what stops the job (with both, the hard
    # timer only starts when the soft one fires).
    worker = start_celery_worker(queues=("faults_hard",), env={"MODEL_DIR": str(tiny_music_model_dir),
                                                                "TASK_SOFT_TIME_LIMIT": "0"})

    def compose(seconds: float, **limits):
        job = contracts.ComposeJob(job_id=contracts.new_job_id(), genre="chorale", model="lstm", seconds=seconds)
        return job, celery_app.send_task(contracts.TASK_COMPOSE, args=[job.to_dict()], queue="faults_hard",
                                         **limits)

    _, warm = compose(5)
    assert isinstance(result_from_dict(warm.get(timeout=180)), contracts.MusicResult)
    child = worker.child_pids()

    job, slow = compose(30, time_limit=0.1)  # a warm 30 s clip takes ~0.5 s
    result = result_from_dict(slow.get(timeout=120))  # a result, not a FAILURE state
    assert isinstance(result, ErrorResult) and result.code == contracts.ERR_TIMEOUT
    assert result.job_id == job.job_id

    _, after = compose(5)
    assert isinstance(result_from_dict(after.get(timeout=180)), contracts.MusicResult)
    assert worker.child_pids() != child  # the stuck child was replaced


def test_queued_jobs_survive_a_redis_crash_with_aof(redis_server_factory, start_celery_worker, tmp_path):
    """Jobs queued while no worker runs survive SIGKILL of Redis (AOF, fsync every second)."""
    from workers.app import create_app
    from workers.settings import load_settings

    server = redis_server_factory(appendonly=True, workdir=tmp_path)
    app = create_app(load_settings({"REDIS_URL": server.url}))
    jobs = [WikiJob(job_id=contracts.new_job_id(), seed="", length=200) for _ in range(5)]  # bad input: fast
    sent = [app.send_task(contracts.TASK_WIKI, args=[j.to_dict()]) for j in jobs]
    app.close()
    assert redis.Redis.from_url(server.url).llen(contracts.QUEUE_TEXT) == len(jobs)

    time.sleep(1.5)  # appendfsync everysec: what was written a second ago is on disk
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.start()  # same port, same directory: Redis replays the AOF
    assert redis.Redis.from_url(server.url).llen(contracts.QUEUE_TEXT) == len(jobs)

    start_celery_worker(queues=(contracts.QUEUE_TEXT,), redis_url_override=server.url)
    app = create_app(load_settings({"REDIS_URL": server.url}))
    try:
        for job, handle in zip(jobs, sent, strict=True):
            result = result_from_dict(app.AsyncResult(handle.id).get(timeout=120))
            assert isinstance(result, ErrorResult) and result.job_id == job.job_id
    finally:
        app.close()


def _restart_redis(server, down_seconds: float = 1.0, fsync_wait: float = 1.2) -> None:
    """SIGKILL a private AOF Redis (after the last second's writes reached the disk:
    ``fsync_wait`` for appendfsync everysec, 0 with always) and start it again."""
    time.sleep(fsync_wait)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    time.sleep(down_seconds)
    server.start()  # same port and directory: the AOF is replayed


@pytest.mark.timeout(120)
def test_text_worker_survives_a_redis_restart_mid_job(redis_server_factory, start_celery_worker, tmp_path):
    """Redis killed and restarted while a threads-pool worker runs a /wiki job: the worker
    stays up (kombu's restore of unacked messages used to crash it with exit code 1), the
    job finishes once, its result is stored and its message acknowledged."""
    from workers.app import create_app
    from workers.settings import load_settings

    server = redis_server_factory(appendonly=True, workdir=tmp_path)
    worker = start_celery_worker(queues=(contracts.QUEUE_TEXT,), pool="threads", concurrency=4,
                                 redis_url_override=server.url)
    app = create_app(load_settings({"REDIS_URL": server.url}))
    client = redis.Redis.from_url(server.url)
    try:
        warm = _send(app, contracts.QUEUE_TEXT, length=100)[1]
        assert isinstance(result_from_dict(warm.get(timeout=90)), WikiResult)  # TensorFlow loaded
        # Every write on disk at once, so Redis can be killed the moment the job runs.
        client.config_set("appendfsync", "always")
        job, sent = _send(app, contracts.QUEUE_TEXT, length=contracts.WIKI_LENGTH_MAX, rng_seed=3)
        _wait(lambda: sent.state == contracts.STATE_PROGRESS, 30, "the job running")
        _restart_redis(server, fsync_wait=0.0)

        result = result_from_dict(sent.get(timeout=60))
        assert isinstance(result, WikiResult) and result.job_id == job.job_id
        assert worker.alive(), worker.log_tail()
        lines = worker.log_tail(1_000_000).splitlines()
        lost = next(i for i, line in enumerate(lines) if "Connection to broker lost" in line)
        finished = [i for i, line in enumerate(lines) if job.job_id in line and "job finished" in line]
        assert len(finished) == 1  # once
        if finished[0] < lost:  # an idle machine finished the job before Redis went down
            pytest.skip("the job finished before the outage: nothing ran across it this time")
        _wait(lambda: client.hlen("unacked") == 0, 10, "the job's acknowledgement")
        assert client.llen(contracts.QUEUE_TEXT) == 0  # not put back to run again
        # The worker goes on serving after the restart.
        assert isinstance(result_from_dict(_send(app, contracts.QUEUE_TEXT, length=100)[1].get(timeout=30)),
                          WikiResult)
    finally:
        app.close()
        client.close()
        worker.stop(10)


def _started_order(worker, job_ids: list[str]) -> list[str]:
    """The job ids in the order their deliveries started, from the worker's log (one entry per start)."""
    order = []
    for line in worker.log_tail(1_000_000).splitlines():
        if "job started" in line:
            order += [j for j in job_ids if j in line]
    return order


@pytest.mark.timeout(180)
def test_a_requeued_job_goes_to_the_front_of_the_queue(start_celery_worker, celery_app, redis_url):
    worker = start_celery_worker(queues=("faults_front",))
    client = redis.Redis.from_url(redis_url)
    first, sent = _send(celery_app, "faults_front", length=contracts.WIKI_LENGTH_MAX)
    _wait(lambda: _deliveries(client, sent.id) >= 1, 120, "the first job running")
    later = [_send(celery_app, "faults_front", length=100) for _ in range(3)]  # queued behind it
    _kill_running_child(worker, client, sent.id, delivery=1)

    assert isinstance(result_from_dict(sent.get(timeout=120)), WikiResult)
    for _, handle in later:
        assert isinstance(result_from_dict(handle.get(timeout=120)), WikiResult)
    ids = [first.job_id] + [job.job_id for job, _ in later]
    # Its redelivery ran next, before the jobs sent after it.
    assert _started_order(worker, ids) == [first.job_id, first.job_id, *ids[1:]]


def _kill_worker_host(worker) -> None:
    """SIGKILL a worker's main process and its pool children, as when its host or container dies."""
    children = worker.child_pids()
    worker.kill(signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.process.proc.wait(10)


@pytest.mark.timeout(180)
def test_a_dead_workers_job_is_redelivered_after_the_visibility_timeout(start_celery_worker, celery_app,
                                                                        redis_url):
    """The main process of a worker killed mid-job: another worker runs the job within the
    (short) visibility timeout and its sweep interval, not an hour later."""
    env = {"VISIBILITY_TIMEOUT": "4"}
    worker = start_celery_worker(queues=("faults_host",), env=env)
    client = redis.Redis.from_url(redis_url)
    job, sent = _send(celery_app, "faults_host", length=contracts.WIKI_LENGTH_MAX)
    _wait(lambda: _deliveries(client, sent.id) >= 1, 120, "the job running")
    _kill_worker_host(worker)
    assert client.hlen("unacked") >= 1 and client.llen("faults_host") == 0  # held by nobody

    start_celery_worker(queues=("faults_host",), env=env)
    result = result_from_dict(sent.get(timeout=60))
    assert isinstance(result, WikiResult) and result.job_id == job.job_id
    assert _deliveries(client, sent.id) == 2


@pytest.mark.timeout(180)
def test_a_job_running_longer_than_the_visibility_timeout_is_not_redelivered(start_celery_worker,
                                                                             celery_app, redis_url):
    """Two fresh workers with a 2 s visibility timeout; a job that runs for far longer stays with
    the worker running it: its heartbeat keeps it from the other worker's sweep. The job is made
    long by pausing the pool children (SIGSTOP) while it runs, so it outlives the timeout however
    fast the host is; the main processes, which beat and sweep, go on."""
    env = {"VISIBILITY_TIMEOUT": "2"}
    workers = [start_celery_worker(queues=("faults_beat",), env=env) for _ in range(2)]
    client = redis.Redis.from_url(redis_url)
    job, sent = _send(celery_app, "faults_beat", length=contracts.WIKI_LENGTH_MAX)
    _wait(lambda: _deliveries(client, sent.id) >= 1, 120, "the job running")
    started = time.monotonic()
    children = [pid for worker in workers for pid in worker.child_pids()]
    for pid in children:
        os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(3 * 2 + 1)  # three visibility timeouts and more than three sweeps
        assert _deliveries(client, sent.id) == 1 and client.llen("faults_beat") == 0
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
    result = result_from_dict(sent.get(timeout=120))
    assert isinstance(result, WikiResult) and result.job_id == job.job_id
    assert time.monotonic() - started > 3 * 2
    assert _deliveries(client, sent.id) == 1


def _index_score(client: redis.Redis, job_id: str) -> float | None:
    """The unacked-index score of the message of ``job_id`` (None: not indexed, or not unacked)."""
    for tag, raw in client.hgetall("unacked").items():
        if job_id.encode() in raw:
            return client.zscore("unacked_index", tag)
    return None


def _drop_from_index(client: redis.Redis, job_id: str) -> None:
    """Lose the index entry of ``job_id``'s message, keeping its body: a write Redis lost."""
    tags = [tag for tag, raw in client.hgetall("unacked").items() if job_id.encode() in raw]
    assert len(tags) == 1, tags
    assert client.zrem("unacked_index", tags[0]) == 1


@pytest.mark.timeout(180)
def test_a_job_that_lost_its_index_entry_is_still_redelivered(start_celery_worker, celery_app, redis_url):
    """kombu's sweep reads only its index: a message whose index entry Redis lost (a restart
    from an AOF or a replica missing the last writes) would stay unacknowledged for good once
    its worker died. The holder's heartbeat puts the entry back; a message nobody holds any
    more is re-indexed by any live worker after the visibility timeout, and redelivered."""
    env = {"VISIBILITY_TIMEOUT": "2"}
    worker = start_celery_worker(queues=("faults_orphan",), env=env)
    client = redis.Redis.from_url(redis_url)
    job, sent = _send(celery_app, "faults_orphan", length=100)
    _wait(lambda: _deliveries(client, sent.id) >= 1, 120, "the job running")
    children = worker.child_pids()
    for pid in children:  # the job stays where it is while the index is tampered with
        os.kill(pid, signal.SIGSTOP)

    _drop_from_index(client, job.job_id)  # while its worker holds it: the heartbeat re-adds it
    _wait(lambda: _index_score(client, job.job_id), 5, "the holder re-adding the index entry")
    assert time.time() - _index_score(client, job.job_id) < 2

    _kill_worker_host(worker)
    _drop_from_index(client, job.job_id)  # now nobody holds it
    start_celery_worker(queues=("faults_orphan",), env=env)
    result = result_from_dict(sent.get(timeout=90))
    assert isinstance(result, WikiResult) and result.job_id == job.job_id
    assert _deliveries(client, sent.id) == 2
    # The result is stored before the message is acknowledged (acks_late): wait for the ack.
    _wait(lambda: client.llen("faults_orphan") == 0 and _index_score(client, job.job_id) is None, 30,
          "the redelivery acknowledged")
