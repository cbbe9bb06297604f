"""The wiki batcher waits for jobs that are coming: announced ones, and a burst's next arrival."""

import threading
import time

from workers import contracts
from workers.batching import Batcher

WINDOW = 5.0  # long enough that a wait for it cannot be mistaken for none
GAP = 0.1  # the lull that closes a batch


def _job(i: int) -> contracts.WikiJob:
    return contracts.WikiJob(job_id=f"job{i}", seed="The old bridge", length=100, rng_seed=i)


class _Recorder:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, jobs, callbacks):
        self.batches.append([job.job_id for job in jobs])
        return [job.job_id for job in jobs]


def test_a_lone_job_waits_only_for_the_gap_not_the_window():
    runs = _Recorder()
    batcher = Batcher(runs, max_size=8, window_s=WINDOW, gap_s=GAP)
    started = time.monotonic()
    with batcher.arriving():
        assert batcher.submit(_job(1), lambda _: None) == "job1"
    assert time.monotonic() - started < WINDOW / 2
    assert runs.batches == [["job1"]]


def test_a_batch_waits_for_announced_jobs_and_takes_them_in():
    runs = _Recorder()
    batcher = Batcher(runs, max_size=8, window_s=WINDOW, gap_s=GAP)
    announced, results = threading.Event(), {}

    def late_task():
        with batcher.arriving():
            announced.set()
            time.sleep(0.3)  # the task's own work before it submits
            results[2] = batcher.submit(_job(2), lambda _: None)

    thread = threading.Thread(target=late_task)
    thread.start()
    announced.wait(5)
    with batcher.arriving():
        results[1] = batcher.submit(_job(1), lambda _: None)
    thread.join(10)
    assert results == {1: "job1", 2: "job2"}
    assert runs.batches == [["job1", "job2"]]  # one generate call for both


def test_an_announced_task_that_never_submits_releases_the_batch():
    runs = _Recorder()
    batcher = Batcher(runs, max_size=8, window_s=WINDOW, gap_s=GAP)
    announced, leave = threading.Event(), threading.Event()

    def failing_task():  # e.g. its payload did not decode: it leaves without a job
        with batcher.arriving():
            announced.set()
            leave.wait(5)

    thread = threading.Thread(target=failing_task)
    thread.start()
    announced.wait(5)
    threading.Timer(0.3, leave.set).start()
    started = time.monotonic()
    with batcher.arriving():
        assert batcher.submit(_job(1), lambda _: None) == "job1"
    thread.join(10)
    assert 0.25 < time.monotonic() - started < WINDOW / 2  # it waited for the task, then not for the window
    assert runs.batches == [["job1"]]


def test_a_burst_of_jobs_arriving_within_the_gap_is_one_batch_and_a_later_job_the_next():
    runs = _Recorder()
    batcher = Batcher(runs, max_size=8, window_s=WINDOW, gap_s=GAP)
    results = {}

    def submit(i, delay):
        time.sleep(delay)
        results[i] = batcher.submit(_job(i), lambda _: None)

    threads = [threading.Thread(target=submit, args=(i, delay))
               for i, delay in ((1, 0.0), (2, GAP / 4), (3, GAP / 2), (4, GAP * 8))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {i: f"job{i}" for i in (1, 2, 3, 4)}
    assert runs.batches == [["job1", "job2", "job3"], ["job4"]]


def test_without_a_gap_a_batch_waits_out_its_window():
    runs = _Recorder()
    batcher = Batcher(runs, max_size=8, window_s=0.5)
    started = time.monotonic()
    assert batcher.submit(_job(1), lambda _: None) == "job1"
    assert time.monotonic() - started >= 0.45
