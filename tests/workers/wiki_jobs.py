"""Running one /wiki job through the pipeline, as a worker does for a batch of one."""

from __future__ import annotations

from workers import pipeline
from workers.contracts import ErrorResult, WikiJob, WikiResult
from workers.pipeline import ProgressCallback
from workers.settings import WorkerSettings


def run_wiki(job: WikiJob, settings: WorkerSettings,
             progress: ProgressCallback | None = None) -> WikiResult | ErrorResult:
    """One article (see :func:`workers.pipeline.run_wiki_batch`)."""
    return pipeline.run_wiki_batch([job], settings, None if progress is None else [progress])[0]
