"""The music model registry: kinds, checkpoint names, the loader, best_kind, shipped checkpoints."""

from __future__ import annotations

import inspect
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from models.music import registry
from models.music.datasets import NUM_KEYS
from models.music.genres import GENRES

MAX_CHECKPOINT_BYTES = 25 * 1024 * 1024


def test_every_kind_has_a_module_name():
    assert set(registry.KINDS) == {"lstm", "seq2seq", "rbm", "rnn_rbm", "nade"}
    assert registry.module("lstm").KIND == "lstm"
    assert registry.module("seq2seq").KIND == "seq2seq"
    with pytest.raises(registry.UnknownKindError):
        registry.module("transformer")
    with pytest.raises(registry.UnknownKindError):
        registry.needs_primer("transformer")


@pytest.mark.parametrize("kind", sorted(registry.KINDS))
def test_every_module_is_a_music_model(kind):
    mod = registry.module(kind)
    assert isinstance(mod, registry.MusicModel) and mod.KIND == kind
    for name in ("frame_nll", "generate"):  # what the CLIs, the worker and quality pass by keyword
        params = inspect.signature(getattr(mod, name)).parameters
        wanted = {"frame_nll": ("start",), "generate": ("temperature", "seed", "primer")}[name]
        assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in wanted), (kind, name)
    config = mod.Config.tiny()
    assert type(config).from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert isinstance(mod.config_for_genre("chorale"), mod.Config)


def test_only_the_encoder_decoder_needs_a_primer():
    assert registry.FROM_SILENCE == ("lstm", "nade", "rbm", "rnn_rbm")
    assert [k for k in registry.KINDS if registry.needs_primer(k)] == ["seq2seq"]


def test_checkpoint_names():
    assert registry.checkpoint_name("lstm", "folk") == "music_lstm_folk"
    path = registry.checkpoint_path("seq2seq", "jazz")
    assert path.name == "music_seq2seq_jazz.keras" and path.parent.name == "checkpoints"


@pytest.mark.parametrize("genre", sorted(GENRES))
def test_genre_info_follows_the_genre_registry(genre):
    info = registry.genre_info(genre)
    assert info["steps_per_beat"] == GENRES[genre].steps_per_beat
    assert info["dataset"] == GENRES[genre].dataset


def write_checkpoint(directory, kind, genre, valid_nll, seed=0):
    mod = registry.module(kind)
    config = mod.Config.tiny()
    model = mod.build_model(config)
    path = registry.checkpoint_path(kind, genre, directory)
    model.save(path)
    sidecar = {"kind": kind, "genre": genre, "config": config.to_dict(),
               "metrics": {"valid_nll": valid_nll}}
    registry.sidecar_path(path).write_text(json.dumps(sidecar), encoding="utf-8")
    return path


def test_load_and_best_kind(tmp_path):
    path = write_checkpoint(tmp_path, "lstm", "chorale", 9.5)
    write_checkpoint(tmp_path, "seq2seq", "chorale", 8.9)
    write_checkpoint(tmp_path, "lstm", "folk", 3.0)
    model, config, sidecar = registry.load(path)
    assert sidecar["kind"] == "lstm" and config == registry.module("lstm").Config.tiny()
    roll = registry.module("lstm").generate(model, config, 4, seed=0)
    assert roll.shape == (4, NUM_KEYS)
    assert registry.load(path.with_suffix(""))[2]["genre"] == "chorale"  # stem works too
    assert set(registry.shipped(tmp_path)) == {("lstm", "chorale"), ("seq2seq", "chorale"),
                                                ("lstm", "folk")}
    # no genre checks recorded: the primed kind's lower NLL (fewer, easier frames) does not win
    assert registry.best_kind("chorale", directory=tmp_path) == "lstm"
    assert registry.best_kind("chorale", ["seq2seq"], directory=tmp_path) == "seq2seq"
    assert registry.best_kind("jazz", directory=tmp_path) is None


SHIPPED = sorted(
    (kind, genre, path)
    for (kind, genre), path in registry.shipped().items()
    if kind in ("lstm", "seq2seq")
)


@pytest.mark.parametrize("kind,genre,path", SHIPPED, ids=[f"{k}-{g}" for k, g, _ in SHIPPED])
def test_shipped_checkpoint_loads_is_small_and_composes(kind, genre, path):
    assert path.stat().st_size < MAX_CHECKPOINT_BYTES
    model, config, sidecar = registry.load(path)
    assert sidecar["genre"] == genre and sidecar["kind"] == kind
    metrics = sidecar["metrics"]
    for key in ("train_nll", "valid_nll", "test_nll", "train_valid_gap"):
        assert np.isfinite(metrics[key])
    assert config.steps_per_beat == GENRES[genre].steps_per_beat
    roll = registry.module(kind).generate(model, config, 16, seed=1)
    assert roll.shape == (16, NUM_KEYS) and roll.dtype == np.uint8
