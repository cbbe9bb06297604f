"""The pipeline, without Celery: job -> tiny model -> result."""

from __future__ import annotations

import pytest

from models.text.format import ENDING_SLACK
from tests.workers.wiki_jobs import run_wiki
from workers import contracts, pipeline
from workers.contracts import ErrorResult, Progress, WikiJob, WikiResult
from workers.settings import load_settings

SEED = "The river flows"


@pytest.fixture(scope="module")
def settings(tiny_model_dir):
    return load_settings({"MODEL_DIR": str(tiny_model_dir)})


def _job(**overrides) -> WikiJob:
    base = {"job_id": contracts.new_job_id(), "seed": SEED, "length": 200, "temperature": 0.8, "rng_seed": 3}
    return WikiJob(**{**base, **overrides})


def test_run_wiki_writes_an_article_and_reports_progress(settings):
    seen: list[Progress] = []
    result = run_wiki(_job(), settings, seen.append)
    assert isinstance(result, WikiResult)
    # Generation may stop early where the model starts a new article.
    assert result.text.startswith(SEED) and len(SEED) < result.chars == len(result.text) <= len(SEED) + 200 + ENDING_SLACK
    assert result.title and result.markdown and result.batch_size == 1 and result.rng_seed == 3
    assert [p.phase for p in seen] == ["loading", "writing", "formatting"]
    assert [p.fraction for p in seen] == sorted(p.fraction for p in seen)


def test_same_seed_same_article(settings):
    first = run_wiki(_job(rng_seed=11), settings)
    again = run_wiki(_job(rng_seed=11), settings)
    other = run_wiki(_job(rng_seed=12, length=400), settings)
    assert first.text == again.text
    assert other.text != first.text


def test_result_round_trips_through_json(settings):
    result = run_wiki(_job(), settings)
    assert WikiResult.from_json(result.to_json()) == result


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"seed": ""}, "empty"),
        ({"seed": "x" * (contracts.WIKI_SEED_MAX_CHARS + 1)}, "the limit is"),
        ({"length": contracts.WIKI_LENGTH_MAX + 1}, "length"),
        ({"length": 5}, "length"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_k": -1}, "top-k"),
        ({"top_k": 2.0}, "top-k"),
        ({"top_p": 0.0}, "top-p"),
        ({"rng_seed": -5}, "seed"),
        ({"model": "../../etc/passwd"}, "model"),
    ],
)
def test_bad_input_is_rejected_before_loading(overrides, words, settings):
    result = run_wiki(_job(**overrides), settings)
    assert isinstance(result, ErrorResult) and result.code == contracts.ERR_BAD_INPUT
    assert words in result.message.lower()


def test_missing_checkpoint_is_a_model_missing_error(tmp_path):
    result = run_wiki(_job(), load_settings({"MODEL_DIR": str(tmp_path)}))
    assert isinstance(result, ErrorResult) and result.code == contracts.ERR_MODEL_MISSING


def test_batch_groups_compatible_jobs_and_keeps_order(settings):
    jobs = [_job(length=100), _job(length=300, temperature=1.2), _job(length=250), _job(seed="")]
    results = pipeline.run_wiki_batch(jobs, settings)
    assert [r.job_id for r in results] == [j.job_id for j in jobs]
    assert [type(r) for r in results] == [WikiResult, WikiResult, WikiResult, ErrorResult]
    assert [r.batch_size for r in results[:3]] == [2, 1, 2]
    for job, result in zip(jobs[:3], results[:3], strict=True):
        assert result.text.startswith(SEED) and result.chars <= len(SEED) + job.length + ENDING_SLACK
    # A job's article depends only on its seed, not on the batch it ran in.
    assert run_wiki(jobs[0], settings).text == results[0].text
    assert run_wiki(jobs[2], settings).text == results[2].text


def test_seed_the_model_cannot_read_fails_alone(settings):
    jobs = [_job(seed="Snowman \u2603 \U0001f600 article"), _job()]
    results = pipeline.run_wiki_batch(jobs, settings)
    assert isinstance(results[0], ErrorResult) and results[0].code == contracts.ERR_BAD_INPUT
    assert "characters" in results[0].message
    assert isinstance(results[1], WikiResult) and results[1].batch_size == 1
