"""Thin Celery tasks with stable names: decode the job, call the pipeline, return the result.

Everything that crosses the queue is a contract dict (JSON). This module is the
one boundary where exceptions become user-safe :class:`ErrorResult` s: bad
input, a soft time limit (``timeout``), a job that keeps killing its worker
(capped redeliveries), and anything unexpected (``internal``, logged with its
traceback, never shown to the user).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

import redis.exceptions
from celery import signals, states
from celery.exceptions import BackendStoreError, SoftTimeLimitExceeded, TimeLimitExceeded
from celery.worker import state as worker_state
from celery.worker.request import Request

from workers import contracts, heartbeat, metrics, pipeline
from workers.app import app
from workers.batching import get_batcher, set_worker_concurrency
from workers.contracts import ContractError, ErrorResult, InvalidJob, Progress
from workers.logs import job_context
from workers.settings import get_settings

log = logging.getLogger(__name__)

_DELIVERIES_KEY = "wikimuse:deliveries:{}"


def _count_delivery(task: Any) -> int:
    """How many times this task id has started, this one included (stored in Redis)."""
    client = task.backend.client
    key = _DELIVERIES_KEY.format(task.request.id)
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, get_settings().result_expires)  # outlives any redelivery, however long the queue
    count, _ = pipe.execute()
    return int(count)


def _job_id_of(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("job_id"), str):
        return payload["job_id"][:64]
    return "unknown"


def _execute(task: Any, job_id: str, payload: Any, runner: Any) -> Any:
    deliveries = _count_delivery(task)
    if deliveries > get_settings().max_deliveries:
        log.error("job delivered %d times; giving up", deliveries)
        return ErrorResult.of(job_id, contracts.ERR_INTERNAL,
                              "This job crashed its worker repeatedly and was stopped. Try other settings.")
    log.info("job started", extra={"task": task.name, "delivery": deliveries})
    task_id = task.request.id  # the request is thread-local; the batcher reports from its thread

    def report(progress: Progress) -> None:
        try:
            task.update_state(task_id=task_id, state=contracts.STATE_PROGRESS, meta=progress.to_dict())
        except (redis.exceptions.RedisError, BackendStoreError, OSError) as exc:  # best effort; the job goes on
            log.warning("could not store progress: %s", exc)

    return runner(payload, report)


def _soft_limit(task: Any) -> float | None:
    """The soft time limit this request runs under: its own (``send_task(soft_time_limit=)``),
    else the task's, else the app's; None when there is none."""
    limits = getattr(task.request, "timelimit", None) or (None, None)
    for soft in (limits[1], getattr(task, "soft_time_limit", None), task.app.conf.task_soft_time_limit):
        if soft:
            return float(soft)
    return None


def _run(task: Any, payload: Any, runner: Any) -> dict[str, Any]:
    job_id = _job_id_of(payload)
    spec = contracts.task_spec(task.name)
    started = time.monotonic()
    with job_context(job_id), metrics.job_timer(spec.short) as outcome:
        try:
            result = _execute(task, job_id, payload, runner)
            if not isinstance(result, spec.result | ErrorResult):
                raise TypeError(f"{spec.name} returned a {type(result).__name__}, not a {spec.result.__name__}")
        except InvalidJob as exc:  # the user's to fix: the refusal's own words
            result = ErrorResult.refusal(job_id, exc)
        except ContractError as exc:
            result = ErrorResult.of(job_id, contracts.ERR_BAD_INPUT, "Malformed job: {detail}",
                                    detail=str(exc)[:200])
        except (SoftTimeLimitExceeded, TimeoutError):
            log.warning("job hit its time limit")
            result = ErrorResult.of(job_id, contracts.ERR_TIMEOUT, _TIMEOUT_MESSAGE)
        except Exception:
            soft = _soft_limit(task)
            if soft is not None and time.monotonic() - started >= soft:
                # The soft limit's exception is raised wherever the job happens to be; inside
                # library code it can surface as another error (TensorFlow's tracing turns it
                # into a StagingError). Past the limit, the limit is the cause.
                log.warning("job failed past its time limit", exc_info=True)
                result = ErrorResult.of(job_id, contracts.ERR_TIMEOUT, _TIMEOUT_MESSAGE)
            else:
                log.exception("job failed")
                result = ErrorResult.of(job_id, contracts.ERR_INTERNAL,
                                        "Something went wrong on our side. Please try again.")
        outcome.code = getattr(result, "code", "ok")
        log.info("job finished", extra={"result": result.kind, "code": outcome.code})
        return result.to_dict()


_TIMEOUT_MESSAGE = "The job took too long and was stopped. Try a shorter length."


class JobRequest(Request):
    """A request whose hard time limit yields a ``timeout`` ErrorResult, not a FAILURE state.

    At the hard limit the pool kills the child, so the task cannot report
    anything itself; the parent (this request) stores the user-safe result in
    its place. Celery would store a FAILURE first (on_failure) and again in
    on_timeout; both are replaced, so a waiting client never sees one. The soft
    limit is handled inside the task, see :func:`_run`.
    """

    def on_failure(self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False) -> None:
        exc = exc_info.exception
        exc = getattr(exc, "exc", exc)  # billiard's ExceptionWithTraceback wrapper
        if not isinstance(exc, TimeLimitExceeded) or worker_state.should_terminate:
            super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)
            return
        worker_state.task_ready(self)
        payload = self.args[0] if self.args else None
        job_id = _job_id_of(payload)
        log.error("hard time limit exceeded; child killed", extra={"job_id": job_id, "task": self.name})
        result = ErrorResult.of(job_id, contracts.ERR_TIMEOUT, _TIMEOUT_MESSAGE)
        self.task.backend.store_result(self.id, result.to_dict(), states.SUCCESS, request=self._context)
        metrics.JOBS.labels(contracts.task_spec(self.name).short, contracts.ERR_TIMEOUT).inc()
        if self.task.acks_late:
            self.acknowledge()

    def on_timeout(self, soft: bool, timeout: float) -> None:
        if soft or worker_state.should_terminate:
            super().on_timeout(soft, timeout)
        # Hard limit: on_failure above already stored the timeout result.


def _job(task_name: str, payload: Any) -> Any:
    """The job contract of ``task_name`` decoded from ``payload`` (ContractError if it is none)."""
    return contracts.task_spec(task_name).job.from_dict(payload)


def _wiki(payload: Any, report: Any) -> Any:
    job = _job(contracts.TASK_WIKI, payload)
    # A threads pool cannot interrupt a task, so the wait itself honours the soft limit.
    return get_batcher().submit(job, report, timeout=get_settings().soft_time_limit or None)


@app.task(name=contracts.TASK_WIKI, bind=True, Request=JobRequest)
def wiki(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Write a Wikipedia-style article for a :class:`WikiJob` dict."""
    with get_batcher().arriving():  # a batch being collected waits for this job
        return _run(self, job, _wiki)


def _compose(payload: Any, report: Any) -> Any:
    return pipeline.run_compose(_job(contracts.TASK_COMPOSE, payload), get_settings(), report)


def _with_upload(task: Any, payload: Any) -> Any:
    """A /continue job whose MIDI file came by reference, with the file read back in."""
    ref = payload.get("midi_ref") if isinstance(payload, dict) else None
    if not ref:
        return payload
    if not isinstance(ref, str) or not ref.startswith(contracts.UPLOAD_KEY.format("")):
        raise ContractError("midi_ref is not an upload key")
    data = task.backend.client.get(ref)
    if data is None:
        raise InvalidJob("The uploaded MIDI file is no longer stored; please send it again.")
    return {**payload, "midi_b64": data.decode() if isinstance(data, bytes) else data, "midi_ref": ""}


def _continue(task: Any, payload: Any, report: Any) -> Any:
    job = _job(contracts.TASK_CONTINUE, _with_upload(task, payload))
    return pipeline.run_continue(job, get_settings(), report)


@app.task(name=contracts.TASK_COMPOSE, bind=True, Request=JobRequest)
def compose(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Compose a clip (MIDI, OGG, PNG) for a :class:`ComposeJob` dict."""
    return _run(self, job, _compose)


@app.task(name=contracts.TASK_CONTINUE, bind=True, Request=JobRequest)
def continue_midi(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Continue an uploaded MIDI file for a :class:`ContinueJob` dict."""
    return _run(self, job, functools.partial(_continue, self))


@signals.worker_init.connect
def _on_worker_init(sender: Any = None, **_: Any) -> None:
    # Runs in the main worker process before any fork: record the pool size so
    # the batcher knows whether concurrent jobs can share this process.
    pool = getattr(sender, "pool_cls", None)
    pool_name = f"{getattr(pool, '__module__', '')}.{getattr(pool, '__name__', pool)}".lower()
    concurrency = int(getattr(sender, "concurrency", 1) or 1)
    runs_tasks_here = "prefork" not in pool_name  # threads, solo, gevent, eventlet
    set_worker_concurrency(concurrency if runs_tasks_here else 1)
    metrics.start_exporter_in_main(get_settings(), runs_tasks_here)
    global _warm_in_main
    _warm_in_main = runs_tasks_here


_warm_in_main = False  # a threads/solo pool runs its jobs (and so its warm-up) in the main process


def start_warm_up() -> threading.Thread | None:
    """Run :func:`pipeline.warm_up` in a daemon thread of the process that runs the jobs.

    A thread, so that Celery's start-up (and its child-alive timeout) never waits on
    XLA compiles; a job that arrives meanwhile waits on the model cache's lock for
    the load, not for the compiles. TensorFlow stays out of a prefork parent: there
    this runs in each child, from ``worker_process_init``.
    """
    settings = get_settings()
    if not settings.warmup:
        return None

    def run() -> None:
        try:
            pipeline.warm_up(settings)
        except Exception:  # a failed warm-up must not take the worker down; jobs load lazily
            log.exception("warm-up failed")

    thread = threading.Thread(target=run, name="wikimuse-warmup", daemon=True)
    thread.start()
    return thread


_heartbeat: heartbeat.Heartbeat | None = None


@signals.worker_ready.connect
def _on_worker_ready(**_: Any) -> None:
    # The main process holds the messages (whatever the pool), so it beats for them.
    global _heartbeat
    settings = get_settings()
    _heartbeat = heartbeat.from_app(app, settings.heartbeat_interval,
                                    orphan_after=settings.visibility_timeout).start()
    if _warm_in_main:
        start_warm_up()


@signals.worker_shutdown.connect
def _on_worker_shutdown(**_: Any) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()


@signals.worker_process_init.connect
def _on_worker_process_init(**_: Any) -> None:
    metrics.start_exporter_in_child(get_settings())
    start_warm_up()
