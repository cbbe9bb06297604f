"""Workers time each job phase (generate, render) by kind, batch members included."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY

from workers import contracts, pipeline
from workers.contracts import ComposeJob, MusicResult, WikiJob, WikiResult
from workers.settings import load_settings


def _count(kind: str, phase: str) -> float:
    return REGISTRY.get_sample_value("wikimuse_job_phase_seconds_count", {"kind": kind, "phase": phase}) or 0.0


def test_wiki_batch_phases(tiny_model_dir: Path):
    settings = load_settings({"MODEL_DIR": str(tiny_model_dir)})
    before = {p: _count("wiki", p) for p in ("generate", "render")}
    jobs = [WikiJob(job_id=contracts.new_job_id(), seed="The ", length=100, rng_seed=i) for i in range(3)]
    jobs.append(WikiJob(job_id=contracts.new_job_id(), seed="", length=100))  # refused before the model
    results = pipeline.run_wiki_batch(jobs, settings)
    assert [isinstance(r, WikiResult) for r in results] == [True, True, True, False]
    # One batched call, observed once per job in it; the bad job has no phases.
    assert _count("wiki", "generate") - before["generate"] == 3
    assert _count("wiki", "render") - before["render"] == 3


def test_compose_phases(tiny_music_model_dir: Path):
    settings = load_settings({"MODEL_DIR": str(tiny_music_model_dir)})
    before = {p: _count("compose", p) for p in ("generate", "render")}
    job = ComposeJob(job_id=contracts.new_job_id(), genre="chorale", model="lstm", seconds=5, rng_seed=1)
    assert isinstance(pipeline.run_compose(job, settings), MusicResult)
    assert _count("compose", "generate") - before["generate"] == 1
    assert _count("compose", "render") - before["render"] == 1
    sums = {p: REGISTRY.get_sample_value("wikimuse_job_phase_seconds_sum", {"kind": "compose", "phase": p})
            for p in ("generate", "render")}
    assert all(value > 0 for value in sums.values()), sums
