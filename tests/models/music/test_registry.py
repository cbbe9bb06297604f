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


@pytest.mark.parametrize("metrics, placeholder", [
    ({"stopped": "time", "epochs": 1, "steps": 62}, True),  # the MuseData RBM's minutes
    ({"stopped": "time", "epochs": 4, "steps": 1956}, True),  # many updates, few passes
    ({"stopped": "time", "epochs": 18, "steps": 88}, True),  # many passes over a tiny set
    ({"stopped": "time", "epochs": 5, "steps": 582}, False),  # the jazz LSTM: just enough
    ({"stopped": "time", "epochs": 12, "steps": 1255}, False),
    ({"stopped": "time"}, True),  # stopped on time with no count recorded: nothing shows it trained
    ({"stopped": "early", "epochs": 2, "steps": 10}, False),  # converged: patience ran out
    ({"stopped": "max_epochs", "epochs": 1, "steps": 3}, False),  # its whole schedule (tiny configs)
    ({"valid_nll": 2.0}, False),  # no training record to judge
    (None, False),
])
def test_a_run_stopped_on_time_ships_only_past_the_placeholder_minimum(metrics, placeholder):
    why = registry.placeholder_reason(metrics)
    assert (why is not None) == placeholder
    if why:
        assert f"{registry.MIN_TIMED_EPOCHS} epochs" in why and f"{registry.MIN_TIMED_STEPS} updates" in why


def test_shipped_refuses_a_placeholder_whose_files_are_there(tmp_path):
    write_checkpoint(tmp_path, "lstm", "chorale", 9.5)
    write_checkpoint(tmp_path, "nade", "chorale", 5.0)
    rbm = write_checkpoint(tmp_path, "rbm", "chorale", 1.0)  # the lowest NLL, but a placeholder
    side = registry.sidecar_path(rbm)
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["metrics"].update(stopped="time", epochs=1, steps=40)
    side.write_text(json.dumps(meta), encoding="utf-8")
    assert set(registry.shipped(tmp_path)) == {("lstm", "chorale"), ("nade", "chorale")}
    assert set(registry.placeholders(tmp_path)) == {("rbm", "chorale")}
    assert registry.genre_kinds("chorale", tmp_path) == ["lstm", "nade"]
    assert registry.genre_kinds("folk", tmp_path) == []
    assert registry.best_kind("chorale", directory=tmp_path) == "nade"
    assert registry.best_kind("chorale", ["rbm"], directory=tmp_path) is None


def test_no_shipped_checkpoint_is_a_placeholder():
    # Every music checkpoint in models/checkpoints, read from the files, not through shipped().
    on_disk = {path.stem for path in registry.CHECKPOINT_DIR.glob("music_*.keras")}
    assert registry.placeholders() == {}
    assert on_disk == {registry.checkpoint_name(kind, genre) for kind, genre in registry.shipped()}
    # Each genre keeps a from-silence kind, and no default of a genre is a kind it lacks.
    for genre in GENRES:
        kinds = registry.genre_kinds(genre)
        assert set(kinds) & set(registry.FROM_SILENCE), genre
        assert registry.best_kind(genre) in kinds
