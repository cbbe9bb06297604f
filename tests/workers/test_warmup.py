"""Worker warm-up (WARMUP=wiki,music): models load and sampling compiles before the first job."""

from __future__ import annotations

import time

import pytest

from tests.workers.wiki_jobs import run_wiki
from workers import contracts, model_cache, pipeline
from workers.contracts import WikiJob, WikiResult
from workers.settings import load_settings


@pytest.fixture(scope="module")
def settings(tiny_all_models_dir):
    return load_settings({"MODEL_DIR": str(tiny_all_models_dir), "WARMUP": "wiki,music", "BATCH_MAX_SIZE": "4"})


def _job(seed: str, rng_seed: int) -> WikiJob:
    return WikiJob(job_id=contracts.new_job_id(), seed=seed, rng_seed=rng_seed)  # the default length


def test_warm_up_compiles_what_default_requests_need(settings):
    timings = pipeline.warm_up(settings)
    # The tiny model dir has a text model and only a chorale composer: other genres are skipped.
    assert set(timings) == {"wiki", "music:chorale"}
    generator = model_cache.get_text_model(settings.wiki_checkpoint()).generator
    traced = generator._fn.experimental_get_tracing_count()
    assert traced >= 3  # batch buckets 1, 2 and 4 (BATCH_MAX_SIZE)
    # Default-length jobs alone and in batches of up to BATCH_MAX_SIZE need no new compile.
    for size in (1, 2, 3, 4):
        results = pipeline.run_wiki_batch([_job("The river flows", i) for i in range(size)], settings)
        assert all(isinstance(r, WikiResult) for r in results)
    assert generator._fn.experimental_get_tracing_count() == traced
    # A length the warm-up did not cover does compile: the count above can move.
    run_wiki(WikiJob(job_id=contracts.new_job_id(), seed="The river", length=3333, rng_seed=1), settings)
    assert generator._fn.experimental_get_tracing_count() == traced + 1


def test_warm_up_is_off_by_default_and_skips_missing_models(tmp_path):
    assert pipeline.warm_up(load_settings({"MODEL_DIR": str(tmp_path)})) == {}
    assert pipeline.warm_up(load_settings({"MODEL_DIR": str(tmp_path), "WARMUP": "wiki,music"})) == {}


def test_a_celery_worker_warms_up_in_its_child(start_celery_worker, tiny_all_models_dir):
    worker = start_celery_worker(queues=("warmup_only",),
                                 env={"MODEL_DIR": str(tiny_all_models_dir), "WARMUP": "wiki"})
    deadline = time.monotonic() + 120
    while "warm-up done" not in worker.log_tail(20000) and time.monotonic() < deadline:
        time.sleep(0.5)
    log = worker.log_tail(20000)
    assert "warm-up done" in log, log
    assert worker.alive()
