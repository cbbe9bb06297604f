"""/compose with the encoder-decoder: never an empty primer, a bar of the best from-silence model instead."""

from __future__ import annotations

import json

import numpy as np

from models.music import inference, lstm, registry, seq2seq
from models.music.midi_io import midi_bytes_to_roll
from tests.models.music.test_registry import write_checkpoint
from workers import contracts, model_cache, pipeline
from workers.contracts import ComposeJob, ErrorResult, MusicResult
from workers.settings import load_settings


def test_compose_primes_seq2seq_with_a_bar_of_the_from_silence_model(tmp_path):
    settings = load_settings({"MODEL_DIR": str(tmp_path)})
    write_checkpoint(tmp_path, "seq2seq", "chorale", 1.0)
    job = ComposeJob(job_id=contracts.new_job_id(), genre="chorale", model="seq2seq", bars=3, rng_seed=5)
    missing = pipeline.run_compose(job, settings)  # nothing to prime it with
    assert isinstance(missing, ErrorResult) and missing.code == contracts.ERR_MODEL_MISSING
    write_checkpoint(tmp_path, "lstm", "chorale", 9.0)
    model_cache.clear()
    result = pipeline.run_compose(job, settings)
    assert isinstance(result, MusicResult) and result.model == "seq2seq", result
    roll, _ = midi_bytes_to_roll(next(a.data for a in result.attachments if a.mime == "audio/midi"), 1)
    lead, config, _ = registry.load(registry.checkpoint_path("lstm", "chorale", tmp_path))
    bar = lstm.generate(lead, config, registry.bar_steps("chorale"), seed=5)
    np.testing.assert_array_equal(roll[: bar.shape[0]], bar[: roll.shape[0]])


def test_warm_up_compiles_the_primed_default_too(tmp_path):
    write_checkpoint(tmp_path, "lstm", "chorale", 9.0)
    path = write_checkpoint(tmp_path, "seq2seq", "chorale", 9.0)
    side = registry.sidecar_path(path)
    meta = json.loads(side.read_text())
    meta["checks"] = {"comparable_nll": 1.0, "passed": True, "classifier_share": 1.0, "mean_overlap": 1.0}
    side.write_text(json.dumps(meta))
    settings = load_settings({"MODEL_DIR": str(tmp_path), "WARMUP": "music"})
    assert registry.best_kind("chorale", directory=tmp_path) == "seq2seq"
    model_cache.clear()
    assert "music:chorale" in pipeline.warm_up(settings)
    model, _, _ = model_cache.get_music_model(path, registry.load)
    assert inference.has_compiled(model, seq2seq._generator)  # its sampler is traced before the first user's job
