"""The bot's JobBackend against real Redis and a real worker: changes are pushed, not polled,
and the queue is read once per tick for every follower."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from bot.jobs import STATE_QUEUED, STATE_RUNNING, JobBackend
from workers import contracts
from workers.contracts import WikiJob, WikiResult

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


async def test_progress_and_result_are_pushed_not_polled(redis_url, celery_worker):
    """With reads of the stored state two minutes apart, the result still arrives as soon as
    the worker stores it: through the result backend's pub/sub, like every progress step."""
    backend = JobBackend(redis_url, poll_interval=120.0, safety_interval=120.0)
    seen: list[str] = []

    async def on_status(status) -> None:
        seen.append(status.state)

    try:
        job = WikiJob(job_id=contracts.new_job_id(), seed="The harbour", length=400)
        await backend.submit(job, contracts.TASK_WIKI)
        started = time.monotonic()
        result = await asyncio.wait_for(backend.wait(job.job_id, contracts.QUEUE_TEXT, on_status, timeout=600), 100)
        assert isinstance(result, WikiResult) and result.job_id == job.job_id
        assert time.monotonic() - started < 100
        assert seen[0] in (STATE_QUEUED, STATE_RUNNING) and STATE_RUNNING in seen  # progress came pushed too
    finally:
        await backend.close()


def _lrange_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_lrange", {}).get("calls", 0))


async def test_queue_positions_come_from_one_read_per_tick(redis_server_factory):
    """Ten jobs waiting (no worker) and followed for 2 s at a 0.25 s tick: the queue is read
    about once per tick for all of them, not once per job per tick."""
    server = redis_server_factory()
    backend = JobBackend(server.url, poll_interval=0.25)
    client = redis.Redis.from_url(server.url)
    positions: dict[str, int | None] = {}
    try:
        jobs = [WikiJob(job_id=contracts.new_job_id(), seed=f"Topic {i}", length=100) for i in range(10)]
        for job in jobs:
            await backend.submit(job, contracts.TASK_WIKI)

        async def follow(job: WikiJob) -> None:
            async def on_status(status) -> None:
                positions[job.job_id] = status.position

            await backend.wait(job.job_id, contracts.QUEUE_TEXT, on_status, timeout=2.0)

        before = _lrange_calls(client)
        started = time.monotonic()
        await asyncio.gather(*(follow(job) for job in jobs))
        ticks = (time.monotonic() - started) / 0.25
        reads = _lrange_calls(client) - before
        assert [positions[job.job_id] for job in jobs] == list(range(1, 11))  # the first sent runs first
        # At most one read per tick for all ten (once per job per tick would be ten times that).
        assert 1 <= reads <= ticks + 2, (reads, ticks)
    finally:
        client.close()
        await backend.close()


def _large_midi(notes: int = 2000) -> bytes:
    import io

    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(program=0)
    for i in range(notes):
        start = i * 0.125
        piano.notes.append(pretty_midi.Note(velocity=80, pitch=48 + (i * 7) % 36, start=start, end=start + 0.1))
    pm.instruments.append(piano)
    out = io.BytesIO()
    pm.write(out)
    return out.getvalue()


def _queued_message(client: redis.Redis, job_id: str, timeout: float = 10.0) -> bytes:
    """The broker message of ``job_id``: waiting in the queue, or taken by the worker (unacked).

    A worker moves a message from the queue to ``unacked`` in two commands, so a single look
    can find it in neither; look again until it shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pipe = client.pipeline(transaction=True)
        pipe.lrange(contracts.QUEUE_MUSIC, 0, -1)
        pipe.hvals("unacked")
        waiting, taken = pipe.execute()
        for message in [*waiting, *taken]:
            if job_id.encode() in message:
                return message
        time.sleep(0.002)
    raise AssertionError(f"job {job_id} is neither queued nor taken")


async def test_a_large_midi_upload_goes_by_reference(music_stack_url):
    """The queued message of a /continue job with a large MIDI file holds a key, not the
    file; the worker reads the file from that key (which expires) and continues it."""
    from workers.contracts import ContinueJob, MusicResult

    backend = JobBackend(music_stack_url, poll_interval=0.2, job_timeout=300.0)
    client = redis.Redis.from_url(music_stack_url)
    data = _large_midi()
    job = ContinueJob(job_id=contracts.new_job_id(), midi_b64=contracts.b64encode(data), bars=1, genre="chorale")
    assert len(job.midi_b64) > contracts.UPLOAD_INLINE_MAX
    try:
        await backend.submit(job, contracts.TASK_CONTINUE)
        key = contracts.UPLOAD_KEY.format(job.job_id)
        assert 300 < client.ttl(key) <= 360 and client.get(key) == job.midi_b64.encode()
        message = _queued_message(client, job.job_id)
        assert len(message) < len(job.midi_b64) and job.midi_b64[:200].encode() not in message
        result = await backend.wait(job.job_id, contracts.QUEUE_MUSIC, timeout=240)
        assert isinstance(result, MusicResult) and result.job_id == job.job_id, result
        assert result.primer_seconds > 0  # the user's file is in the clip
    finally:
        client.close()
        await backend.close()


def test_an_expired_upload_reference_gets_a_clear_error(music_stack_url):
    from workers.app import create_app
    from workers.contracts import ErrorResult, result_from_dict
    from workers.settings import load_settings

    app = create_app(load_settings({"REDIS_URL": music_stack_url}))
    try:
        job_id = contracts.new_job_id()
        payload = {"kind": "continue_job", "job_id": job_id, "midi_b64": "", "genre": "chorale",
                   "midi_ref": contracts.UPLOAD_KEY.format(job_id)}  # never stored, as if expired
        result = result_from_dict(app.send_task(contracts.TASK_CONTINUE, args=[payload]).get(timeout=120))
        assert isinstance(result, ErrorResult) and result.code == contracts.ERR_BAD_INPUT
        assert "no longer stored" in result.message
    finally:
        app.close()
