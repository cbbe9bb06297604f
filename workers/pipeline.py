"""Job -> model -> result, without Celery.

Tasks (``workers/tasks.py``) and the batcher call these functions; tests call
them directly. Each function checks its job with the contract's ``validate()``
(the bot did too; a job may come from elsewhere), loads the model through the per-process cache, runs it, and
returns a result contract. Bad input and missing models become an
:class:`~workers.contracts.ErrorResult`; anything else raises, and the task
turns it into an ``internal`` error at its boundary.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workers import contracts, metrics, model_cache
from workers.contracts import ErrorResult, MusicResult, Progress, WikiJob, WikiResult
from workers.settings import WorkerSettings

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]

_WIKI, _COMPOSE, _CONTINUE = (contracts.TASKS[name].short for name in (
    contracts.TASK_WIKI, contracts.TASK_COMPOSE, contracts.TASK_CONTINUE))  # metrics' kind labels


def _noop(_: Progress) -> None:
    pass


def run_wiki_batch(
    jobs: Sequence[WikiJob],
    settings: WorkerSettings,
    progress: Sequence[ProgressCallback] | None = None,
) -> list[WikiResult | ErrorResult]:
    """Write one article per job, generating compatible jobs as one batch.

    Jobs that share a model and sampling parameters (temperature, top-k,
    top-p) run in one batched ``generate`` call, whose length is the longest
    requested; shorter articles are cut to their own length. Every job keeps
    its own random seed, so its article does not depend on the batch it ran in.
    Generation stops early where the model starts a new article.

    Args:
        jobs: the jobs, in any mix of parameters.
        settings: where the checkpoints are.
        progress: one callback per job (or None), called with phases
            ``loading`` -> ``writing`` -> ``formatting``.

    Returns:
        One result per job, in order.
    """
    from models.text.vocab import OutOfVocabularyError

    callbacks = list(progress) if progress is not None else [_noop] * len(jobs)
    if len(callbacks) != len(jobs):
        raise ValueError("need one progress callback per job")
    results: list[WikiResult | ErrorResult | None] = [None] * len(jobs)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, job in enumerate(jobs):
        if (refused := _refusal(job)) is not None:
            results[i] = refused
            continue
        groups[(job.model, float(job.temperature), job.top_k, float(job.top_p))].append(i)

    for (model_name, temperature, top_k, top_p), idx in groups.items():
        for i in idx:
            callbacks[i](Progress(fraction=0.05, phase="loading", batch_size=len(idx)))
        try:
            text_model = model_cache.get_text_model(settings.wiki_checkpoint(model_name))
        except model_cache.ModelMissingError:
            log.error("checkpoint %s missing in %s", model_name, settings.model_dir)
            for i in idx:
                results[i] = ErrorResult.of(jobs[i].job_id, contracts.ERR_MODEL_MISSING,
                                            "The model {model} is not installed on this worker.",
                                            model=repr(model_name))
            continue
        # Seeds the model cannot read are the user's error, not the batch's.
        readable = []
        for i in idx:
            try:
                text_model.vocab.encode(jobs[i].seed)
            except OutOfVocabularyError as exc:  # its message is user-safe
                results[i] = ErrorResult.of(jobs[i].job_id, contracts.ERR_BAD_INPUT, exc.template, **exc.fields)
            else:
                readable.append(i)
        if not readable:
            continue
        batch = [jobs[i] for i in readable]
        for i in readable:
            callbacks[i](Progress(fraction=0.1, phase="writing", batch_size=len(batch)))
        # Each row has its own seed, and a row's text depends only on its prompt and
        # seed, so a job writes the same article alone or in any batch.
        seeds = [job.rng_seed if job.rng_seed is not None else random.SystemRandom().randrange(contracts.RNG_SEED_MAX)
                 for job in batch]
        from models.text.format import ENDING_SLACK

        started = time.perf_counter()
        texts = text_model.generator.generate(
            [job.seed for job in batch],
            max(job.length for job in batch) + ENDING_SLACK,  # room to finish the last sentence
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seeds,
            stop_at_end=True,
            min_chars=[job.length for job in batch],  # no stub: the article runs to its length
            stop_after=[job.length for job in batch],  # and ends at the sentence end_cleanly keeps
            stop_slack=ENDING_SLACK,
        )
        seconds = time.perf_counter() - started
        log.info("generated %d article(s) in %.2fs", len(batch), seconds,
                 extra={"batch_size": len(batch), "generate_seconds": round(seconds, 3)})
        metrics.observe_phase(_WIKI, "generate", seconds, jobs=len(batch))
        for i, job, text, rng_seed in zip(readable, batch, texts, seeds, strict=True):
            callbacks[i](Progress(fraction=0.95, phase="formatting", batch_size=len(batch)))
            formatting = time.perf_counter()
            results[i] = _wiki_result(job, text, rng_seed, seconds, len(batch))
            metrics.observe_phase(_WIKI, "render", time.perf_counter() - formatting)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _wiki_result(job: WikiJob, text: str, rng_seed: int, seconds: float, batch_size: int) -> WikiResult:
    from models.text.format import ENDING_SLACK, end_cleanly, format_article

    # The generator returns seed + continuation; end at a sentence or section end near the length.
    text = end_cleanly(text, len(job.seed), job.length, ENDING_SLACK)
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


# --- music -------------------------------------------------------------------

MAX_PRIMER_BEATS = 64  # /continue reads at most the last 64 beats of an upload


def _bad(job_id: str, template: str, code: str = contracts.ERR_BAD_INPUT, **fields: object) -> ErrorResult:
    return ErrorResult.of(job_id, code, template, **fields)


def _refusal(job: contracts.Contract) -> ErrorResult | None:
    """The bad-input result for a job that fails its contract's checks, else None."""
    try:
        job.validate()  # type: ignore[attr-defined]
    except contracts.InvalidJob as exc:
        return ErrorResult.refusal(job.job_id, exc)  # type: ignore[attr-defined]
    return None


def _music_model(genre: str, model: str, settings: WorkerSettings) -> tuple[str, Path] | None:
    """(kind, checkpoint path) for a genre and a model choice, or None when the genre has
    no such checkpoint (``registry.shipped``: installed, and trained past a placeholder)."""
    from models.music import registry

    kind = registry.best_kind(genre, directory=settings.model_dir) if model == contracts.MUSIC_MODEL_BEST else model
    if kind is None:
        return None
    path = registry.shipped(settings.model_dir).get((kind, genre))
    return (kind, path) if path is not None and path.is_file() else None


def _music_result(job_id: str, genre: Any, kind: str, tempo: int, roll: Any, steps_per_beat: int,
                  rng_seed: int, seconds: float, settings: WorkerSettings, primer_steps: int = 0,
                  notice: str = "") -> MusicResult:
    from models.music.pianoroll import seconds_for_steps
    from workers.render import SERVED_FORMATS, clip_attachments, render_clip

    clip = render_clip(roll, steps_per_beat, tempo, genre.programs, genre=genre.name, model=kind,
                       beats_per_bar=genre.beats_per_bar, primer_steps=primer_steps,
                       data_dir=settings.data_dir, formats=SERVED_FORMATS)
    bars = max(1, round(roll.shape[0] / (steps_per_beat * genre.beats_per_bar)))
    return MusicResult(
        job_id=job_id, genre=genre.name, model=kind, tempo=tempo, seconds=round(float(clip["seconds"]), 3),
        bars=bars, rng_seed=rng_seed, generation_seconds=round(seconds, 3),
        attachments=clip_attachments(clip, contracts.clip_stem(genre.name, job_id)),
        primer_seconds=round(seconds_for_steps(primer_steps, tempo, steps_per_beat), 3) if primer_steps else 0.0,
        notes=int(clip["notes"]), notice=notice,
    )


def cap_continuation(primer_steps: int, bars: int, tempo: int, steps_per_beat: int,
                     beats_per_bar: int) -> tuple[int, int]:
    """``(primer_steps, bars)`` of a /continue clip that lasts at most ``MUSIC_SECONDS_MAX``,
    as /compose does: the primer keeps at most half of it, the new bars the rest (one at least)."""
    from models.music.pianoroll import steps_for_seconds

    cap = steps_for_seconds(contracts.MUSIC_SECONDS_MAX, tempo, steps_per_beat)
    bar_steps = beats_per_bar * steps_per_beat
    if primer_steps + bars * bar_steps <= cap:
        return primer_steps, bars
    primer_steps = min(primer_steps, cap // 2)
    return primer_steps, max(1, min(bars, (cap - primer_steps) // bar_steps))


def _missing(job_id: str, genre: str, model: str = contracts.MUSIC_MODEL_BEST,
             settings: WorkerSettings | None = None) -> ErrorResult:
    """The result for a genre without the model asked for: the kinds it has, when it has some."""
    if model != contracts.MUSIC_MODEL_BEST and settings is not None:
        from models.music import registry

        kinds = registry.genre_kinds(genre, settings.model_dir)
        if kinds:
            return _bad(job_id, "The genre {genre} has no {model} model. Its models: {kinds}, or best "
                        "(the default).", contracts.ERR_MODEL_MISSING, genre=genre, model=model,
                        kinds=", ".join(kinds))
    return _bad(job_id, "No trained model for the genre {genre} is installed on this worker.",
                contracts.ERR_MODEL_MISSING, genre=repr(genre))


def run_compose(job: contracts.ComposeJob, settings: WorkerSettings,
                progress: ProgressCallback | None = None) -> MusicResult | ErrorResult:
    """Compose a clip in a genre: model -> piano roll -> MIDI, OGG and PNG."""
    from models.music.genres import get_genre
    from models.music.pianoroll import steps_for_seconds

    report = progress or _noop
    if (refused := _refusal(job)) is not None:
        return refused
    genre = get_genre(job.genre)
    found = _music_model(genre.name, job.model, settings)
    if found is None:
        return _missing(job.job_id, genre.name, job.model, settings)
    kind, path = found
    report(Progress(fraction=0.05, phase="loading"))
    rng_seed = job.rng_seed if job.rng_seed is not None else random.SystemRandom().randrange(contracts.RNG_SEED_MAX)
    tempo = job.tempo or genre.tempo
    steps_per_beat = genre.steps_per_beat
    if job.bars is not None:
        steps = job.bars * genre.beats_per_bar * steps_per_beat
    else:
        steps = steps_for_seconds(job.seconds, tempo, steps_per_beat)
    started = time.perf_counter()
    from models.music import registry

    def load(checkpoint: Path) -> Any:
        return model_cache.get_music_model(checkpoint, registry.load)

    load(path)
    report(Progress(fraction=0.15, phase="composing"))
    try:  # a primed kind (seq2seq) gets its first bar from the genre's best from-silence model
        roll = registry.compose(kind, genre.name, steps, temperature=float(job.temperature), seed=rng_seed,
                                loader=load, directory=settings.model_dir)
    except FileNotFoundError:
        return _missing(job.job_id, genre.name)
    seconds = time.perf_counter() - started
    metrics.observe_phase(_COMPOSE, "generate", seconds)
    report(Progress(fraction=0.7, phase="rendering"))
    rendering = time.perf_counter()
    result = _music_result(job.job_id, genre, kind, tempo, roll, steps_per_beat, rng_seed, seconds, settings)
    metrics.observe_phase(_COMPOSE, "render", time.perf_counter() - rendering)
    return result


def run_continue(job: contracts.ContinueJob, settings: WorkerSettings,
                 progress: ProgressCallback | None = None) -> MusicResult | ErrorResult:
    """Continue an uploaded MIDI file by ``job.bars`` bars in a genre's style."""
    import numpy as np

    from models.music import registry
    from models.music.genres import get_genre
    from models.music.midi_io import MIDIConversionError, midi_bytes_to_roll

    report = progress or _noop
    if (refused := _refusal(job)) is not None:
        return refused
    try:
        data = contracts.b64decode(job.midi_b64) if isinstance(job.midi_b64, str) else b""
    except ValueError:
        data = b""
    if not data:
        return _bad(job.job_id, "The upload is not a MIDI file.", contracts.ERR_BAD_MIDI)
    if len(data) > contracts.MIDI_UPLOAD_MAX_BYTES:
        return _bad(job.job_id, "MIDI files are limited to {limit} kB.", contracts.ERR_BAD_MIDI,
                    limit=contracts.MIDI_UPLOAD_MAX_BYTES // 1000)
    genre = get_genre(job.genre or contracts.CONTINUE_GENRE_DEFAULT)
    found = _music_model(genre.name, contracts.MUSIC_MODEL_BEST, settings)
    if found is None:
        return _missing(job.job_id, genre.name)
    kind, path = found
    report(Progress(fraction=0.05, phase="reading"))
    try:
        roll, info = midi_bytes_to_roll(data, genre.steps_per_beat)
    except MIDIConversionError as exc:
        return _bad(job.job_id, exc.template, contracts.ERR_BAD_MIDI, **exc.fields)
    primer = roll[-MAX_PRIMER_BEATS * genre.steps_per_beat:]
    tempo = int(min(max(round(info.get("tempo") or genre.tempo), contracts.TEMPO_MIN), contracts.TEMPO_MAX))
    rng_seed = job.rng_seed if job.rng_seed is not None else random.SystemRandom().randrange(contracts.RNG_SEED_MAX)
    primer_steps, bars = cap_continuation(int(primer.shape[0]), job.bars, tempo, genre.steps_per_beat,
                                          genre.beats_per_bar)
    notice = ""
    if (primer_steps, bars) != (primer.shape[0], job.bars):
        primer = primer[-primer_steps:]
        notice = (f"Shortened to {bars} new bar(s) after the last {primer_steps // genre.steps_per_beat} "
                  f"beat(s) of your piece: at {tempo} bpm, {job.bars} bars would last longer than "
                  f"{contracts.MUSIC_SECONDS_MAX} s, the longest clip.")
    steps = bars * genre.beats_per_bar * genre.steps_per_beat
    started = time.perf_counter()
    model, config, sidecar = model_cache.get_music_model(path, registry.load)
    report(Progress(fraction=0.15, phase="composing"))
    temperature = float(job.temperature) * registry.sampling_temperature(sidecar)
    new = registry.module(kind).generate(model, config, steps, temperature=temperature, seed=rng_seed, primer=primer)
    seconds = time.perf_counter() - started
    metrics.observe_phase(_CONTINUE, "generate", seconds)
    report(Progress(fraction=0.7, phase="rendering"))
    full = np.concatenate([primer, new]).astype(np.uint8)
    rendering = time.perf_counter()
    result = _music_result(job.job_id, genre, kind, tempo, full, genre.steps_per_beat, rng_seed, seconds, settings,
                           primer_steps=int(primer.shape[0]), notice=notice)
    metrics.observe_phase(_CONTINUE, "render", time.perf_counter() - rendering)
    return result


def warm_up(settings: WorkerSettings) -> dict[str, float]:
    """Load and compile what ``settings.warmup`` names, so the first users do not pay for it.

    ``wiki``: the default text model and its sampling function for the default
    length (plus the ending slack) at every batch bucket up to ``batch_max_size`` (each bucket is one XLA
    compile, seconds each). ``music``: one short ``/compose`` per genre with the
    model users get by default (``best``), which loads it, traces its sampler and
    warms the renderer. A missing checkpoint is logged and skipped.

    Returns:
        Seconds spent per item (``wiki``, ``music:<genre>``).
    """
    timings: dict[str, float] = {}
    if "wiki" in settings.warmup:
        started = time.perf_counter()
        try:
            text_model = model_cache.get_text_model(settings.wiki_checkpoint())
        except model_cache.ModelMissingError:
            log.warning("warm-up: no text checkpoint in %s", settings.model_dir)
        else:
            from models.text.format import ENDING_SLACK
            from models.text.generate import BATCH_BUCKETS

            cap = next((b for b in BATCH_BUCKETS if b >= settings.batch_max_size), BATCH_BUCKETS[-1])
            # What run_wiki_batch samples for a default job: its length and the ending slack.
            text_model.generator.warmup([b for b in BATCH_BUCKETS if b <= cap],
                                        contracts.WIKI_LENGTH_DEFAULT + ENDING_SLACK)
            timings["wiki"] = round(time.perf_counter() - started, 3)
    if "music" in settings.warmup:
        for genre in contracts.GENRE_NAMES:
            started = time.perf_counter()
            # two bars: a primed kind writes its second (its first comes from the from-silence model)
            result = run_compose(contracts.ComposeJob(job_id=f"warmup-{genre}", genre=genre, bars=2, rng_seed=0),
                                 settings)
            if isinstance(result, ErrorResult):
                log.warning("warm-up: %s: %s", genre, result.message)
                continue
            timings[f"music:{genre}"] = round(time.perf_counter() - started, 3)
    if settings.warmup:
        log.info("warm-up done in %.1fs", sum(timings.values()), extra={"warmup_seconds": timings})
    return timings
