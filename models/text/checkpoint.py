"""Save and load a text checkpoint: ``NAME.keras`` (the model) + ``NAME.json`` (the sidecar).

The sidecar holds the vocabulary, the config and the training metadata (steps,
wall time, hardware, valid/test bpc, learning curve). ``load`` is what the
worker's model cache calls.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import keras

from models.text import char_lstm, lstm_cell  # noqa: F401  (registers the custom classes)
from models.text.char_lstm import STORED_DTYPES
from models.text.vocab import Vocab

FORMAT = "wikimuse-text/1"


def sidecar_path(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def _twin(model: keras.Model, dtype: str) -> keras.Model:
    """A copy of ``model`` whose weights are held (and computed) in ``dtype``."""
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(dtype)  # sub-layers take the global policy
    try:
        twin = type(model).from_config({**model.get_config(), "dtype": dtype})
        twin.build((None, None))
    finally:
        keras.mixed_precision.set_global_policy(policy)
    twin.set_weights([w.astype(dtype) for w in model.get_weights()])
    return twin


def save(out_dir: str | Path, name: str, model: keras.Model, vocab: Vocab,
         meta: dict[str, Any] | None = None, stored_dtype: str = "float32") -> Path:
    """Write ``out_dir/name.keras`` and ``out_dir/name.json`` atomically; returns the .keras path.

    Each file is written under a temporary name and renamed into place, so a
    reader (a worker reloading on mtime) never sees a half-written file.
    ``stored_dtype="float16"`` halves the file (the sidecar records it); :func:`load`
    gives back a float32 model either way.
    """
    if stored_dtype not in STORED_DTYPES:
        raise ValueError(f"stored_dtype must be one of {STORED_DTYPES}, not {stored_dtype!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.keras"
    sidecar = {"format": FORMAT, "vocab": vocab.to_dict(), **(meta or {}), "stored_dtype": stored_dtype}
    sidecar.setdefault("params", int(model.count_params()))
    if stored_dtype != "float32":
        model = _twin(model, stored_dtype)
    fd, tmp_json = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(sidecar, f, indent=1, ensure_ascii=False)
    os.chmod(tmp_json, 0o644)  # mkstemp makes 0600; workers may run as another user
    tmp_keras = out_dir / f".{name}.{os.getpid()}.tmp.keras"
    model.save(tmp_keras)
    os.replace(tmp_json, sidecar_path(target))
    os.replace(tmp_keras, target)
    return target


def load(path: str | Path) -> tuple[keras.Model, Vocab, dict[str, Any]]:
    """Load ``path`` (the .keras file, its .json sidecar, or a directory holding wiki_writer.keras).

    Returns:
        (model, vocab, meta) where meta is the whole sidecar; the model holds and
        computes in float32 however its weights were stored.

    Raises:
        FileNotFoundError: the .keras file or its sidecar is missing.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "wiki_writer.keras"
    path = path.with_suffix(".keras")
    sidecar = sidecar_path(path)
    for p in (path, sidecar):
        if not p.is_file():
            raise FileNotFoundError(f"no checkpoint file {p}")
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    model = keras.models.load_model(path, compile=False)
    if model.dtype_policy.name != "float32":  # stored in 16 bits: sample and evaluate in float32
        model = _twin(model, "float32")
    return model, Vocab.from_dict(meta["vocab"]), meta
