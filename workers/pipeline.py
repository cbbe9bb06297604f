"""Job -> model -> result, without Celery.

Tasks (``workers/tasks.py``) and the batcher call these functions; tests call
them directly. Each function validates its job (defence in depth: the bot
validates too), loads the model through the per-process cache, runs it, and
returns a result contract. Bad input and missing models become an
:class:`~workers.contracts.ErrorResult`; anything else raises, and the task
turns it into an ``internal`` error at its boundary.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from workers import contracts, model_cache
from workers.contracts import ErrorResult, Progress, WikiJob, WikiResult
from workers.settings import WorkerSettings

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]

_MODEL_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class BadInputError(ValueError):
    """A job whose parameters are outside the contract's bounds; the message is user-safe."""


def _noop(_: Progress) -> None:
    pass


def validate_wiki_job(job: WikiJob) -> None:
    """Raise :class:`BadInputError` unless ``job`` is within the contract's bounds."""
    if not isinstance(job.seed, str) or not job.seed.strip():
        raise BadInputError("The seed text is empty.")
    if len(job.seed) > contracts.WIKI_SEED_MAX_CHARS:
        raise BadInputError(f"The seed is longer than {contracts.WIKI_SEED_MAX_CHARS} characters.")
    if not isinstance(job.length, int) or isinstance(job.length, bool) or not (
        contracts.WIKI_LENGTH_MIN <= job.length <= contracts.WIKI_LENGTH_MAX
    ):
        raise BadInputError(
            f"Length must be between {contracts.WIKI_LENGTH_MIN} and {contracts.WIKI_LENGTH_MAX}."
        )
    if not isinstance(job.temperature, int | float) or not (
        contracts.TEMPERATURE_MIN <= job.temperature <= contracts.TEMPERATURE_MAX
    ):
        raise BadInputError(
            f"Temperature must be between {contracts.TEMPERATURE_MIN} and {contracts.TEMPERATURE_MAX}."
        )
    if not isinstance(job.top_k, int) or not 0 <= job.top_k <= contracts.TOP_K_MAX:
        raise BadInputError(f"top_k must be between 0 and {contracts.TOP_K_MAX}.")
    if not isinstance(job.top_p, int | float) or not 0.0 < job.top_p <= 1.0:
        raise BadInputError("top_p must be in (0, 1].")
    if job.rng_seed is not None and (
        not isinstance(job.rng_seed, int) or not 0 <= job.rng_seed <= contracts.RNG_SEED_MAX
    ):
        raise BadInputError(f"The random seed must be between 0 and {contracts.RNG_SEED_MAX}.")
    # The model name becomes a file name: no paths.
    if not isinstance(job.model, str) or not _MODEL_NAME.fullmatch(job.model):
        raise BadInputError("Unknown model name.")


def run_wiki(
    job: WikiJob, settings: WorkerSettings, progress: ProgressCallback | None = None
) -> WikiResult | ErrorResult:
    """Write one article. See :func:`run_wiki_batch`."""
    return run_wiki_batch([job], settings, [progress or _noop])[0]


def run_wiki_batch(
    jobs: Sequence[WikiJob],
    settings: WorkerSettings,
    progress: Sequence[ProgressCallback] | None = None,
) -> list[WikiResult | ErrorResult]:
    """Write one article per job, generating compatible jobs as one batch.

    Jobs that share a model and sampling parameters (temperature, top-k,
    top-p) run in one batched ``generate`` call, whose length is the longest
    requested; shorter articles are cut to their own length. Each job keeps its
    own random seed only when it runs alone; in a batch the batch shares the
    first job's seed, and ``WikiResult.batch_size`` says so.

    Args:
        jobs: the jobs, in any mix of parameters.
        settings: where the checkpoints are.
        progress: one callback per job (or None), called with phases
            ``loading`` -> ``writing`` -> ``formatting``.

    Returns:
        One result per job, in order.
    """
    callbacks = list(progress) if progress is not None else [_noop] * len(jobs)
    if len(callbacks) != len(jobs):
        raise ValueError("need one progress callback per job")
    results: list[WikiResult | ErrorResult | None] = [None] * len(jobs)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, job in enumerate(jobs):
        try:
            validate_wiki_job(job)
        except BadInputError as exc:
            results[i] = ErrorResult(job_id=job.job_id, code=contracts.ERR_BAD_INPUT, message=str(exc))
            continue
        groups[(job.model, float(job.temperature), job.top_k, float(job.top_p))].append(i)

    for (model_name, temperature, top_k, top_p), idx in groups.items():
        batch = [jobs[i] for i in idx]
        for i in idx:
            callbacks[i](Progress(fraction=0.05, phase="loading", batch_size=len(idx)))
        try:
            text_model = model_cache.get_text_model(settings.wiki_checkpoint(model_name))
        except model_cache.ModelMissingError:
            log.error("checkpoint %s missing in %s", model_name, settings.model_dir)
            for i in idx:
                results[i] = ErrorResult(
                    job_id=jobs[i].job_id,
                    code=contracts.ERR_MODEL_MISSING,
                    message=f"The model {model_name!r} is not installed on this worker.",
                )
            continue
        for i in idx:
            callbacks[i](Progress(fraction=0.1, phase="writing", batch_size=len(idx)))
        rng_seed = batch[0].rng_seed
        if rng_seed is None:
            rng_seed = random.SystemRandom().randrange(contracts.RNG_SEED_MAX)
        started = time.perf_counter()
        texts = text_model.generator.generate(
            [job.seed for job in batch],
            max(job.length for job in batch),
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=rng_seed,
            stop_at_end=False,
        )
        seconds = time.perf_counter() - started
        log.info("generated %d article(s) in %.2fs", len(batch), seconds,
                 extra={"batch_size": len(batch), "generate_seconds": round(seconds, 3)})
        for i, job, text in zip(idx, batch, texts, strict=True):
            callbacks[i](Progress(fraction=0.95, phase="formatting", batch_size=len(idx)))
            results[i] = _wiki_result(job, text, rng_seed, seconds, len(idx))
    return [r for r in results if r is not None]


def _wiki_result(job: WikiJob, text: str, rng_seed: int, seconds: float, batch_size: int) -> WikiResult:
    from models.text.format import format_article

    if not text.startswith(job.seed):
        text = job.seed + text
    text = text[: len(job.seed) + job.length]
    title, markdown = format_article(text)
    return WikiResult(
        job_id=job.job_id,
        seed=job.seed,
        title=title,
        markdown=markdown,
        text=text,
        chars=len(text),
        rng_seed=rng_seed,
        model=job.model,
        seconds=round(seconds, 3),
        batch_size=batch_size,
    )
