"""The Celery app and its configuration, nothing else.

No TensorFlow here: the prefork parent imports this module, and children
forked after TensorFlow has run hang. Models load lazily in the process that
runs tasks (see ``workers/model_cache.py``).

Run a worker per queue::

    celery -A workers.app worker -Q text -P prefork -c 1
    celery -A workers.app worker -Q music -P prefork -c 1
"""

from __future__ import annotations

from celery import Celery, signals
from kombu import Exchange, Queue

from workers import contracts
from workers.broker import transport_for
from workers.logs import configure_logging
from workers.settings import WorkerSettings, get_settings

UNACKED_MUTEX_EXPIRE = 10  # seconds (kombu's default: 300)


def create_app(settings: WorkerSettings | None = None) -> Celery:
    """Build the wikimuse Celery app for ``settings`` (default: the environment).

    Tests and the bot-side fixtures call this with their own settings to get a
    client app for the same broker; workers use the module-level :data:`app`.
    """
    s = settings or get_settings()
    app = Celery("wikimuse", broker=s.broker_url, backend=s.broker_url, include=["workers.tasks"])
    # An unacked message whose worker stopped its heartbeat (workers/heartbeat.py)
    # for visibility_timeout is put back at the front of its queue by any worker's
    # sweep, every restore_interval seconds (kombu's default is ~100 s).
    # The sweep holds a mutex in Redis; kombu lets it live 300 s, so a worker (or Redis)
    # killed mid-sweep stopped every redelivery for five minutes. A sweep takes
    # milliseconds: 10 s is plenty.
    transport = {"visibility_timeout": s.visibility_timeout,
                 "unacked_restore_interval": s.restore_interval, "unacked_restore_throttle": 1,
                 "unacked_mutex_expire": UNACKED_MUTEX_EXPIRE}
    if s.sentinel_master:  # REDIS_URL lists sentinels (sentinel://...;sentinel://...)
        transport["master_name"] = s.sentinel_master
    app.conf.update(
        # JSON only, both ways: a pickle message is refused by the worker.
        task_serializer="json",
        result_serializer="json",
        event_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        # One queue per model family.
        # Each queue gets its own direct exchange and routing key; a bare
        # Queue(name) would bind every queue to the default queue's key.
        task_queues=tuple(
            Queue(name, Exchange(name, type="direct"), routing_key=name)
            for name in (contracts.QUEUE_TEXT, contracts.QUEUE_MUSIC)
        ),
        task_routes={name: {"queue": queue} for name, queue in contracts.TASK_QUEUES.items()},
        task_default_queue=contracts.QUEUE_TEXT,
        # Long jobs: ack after the task ran, requeue when the child dies,
        # take one message at a time.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # kombu's Redis (or Sentinel) transport with the fixes in workers/broker.py
        # (a Redis restart while jobs run); the URL stays redis:// (or sentinel://).
        broker_transport=transport_for(s.broker_url),
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        task_soft_time_limit=s.soft_time_limit,
        task_time_limit=s.time_limit,
        task_track_started=True,
        result_expires=s.result_expires,
        # A result (or progress) stored while Redis restarts waits for it, about
        # 40 s at most, instead of failing a job that is done.
        result_backend_always_retry=True,
        result_backend_max_retries=40,
        result_backend_max_sleep_between_retries_ms=2000,
        result_extended=False,
        broker_connection_retry_on_startup=True,
        # A child that loads a model in worker_process_init gets time to do so.
        worker_proc_alive_timeout=60.0,
        # Warm shutdown (SIGTERM) lets running jobs finish for this long, then
        # requeues what is left: upgrades lose no jobs.
        worker_soft_shutdown_timeout=min(float(s.time_limit), 60.0),
        worker_enable_soft_shutdown_on_idle=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


app = create_app()


@signals.setup_logging.connect
def _setup_logging(**_: object) -> None:
    # Connecting this signal stops Celery from installing its own handlers.
    s = get_settings()
    configure_logging(s.log_level, json_format=s.log_json)
