"""Per-process model cache: each checkpoint is loaded once, lazily, on first use.

TensorFlow is imported here and only inside the loader functions, so that
importing ``workers.app``/``workers.tasks`` (the prefork parent does) never
touches it; the first task in a child process pays the import and load cost.
Entries are keyed by the checkpoint's path and the mtimes of its weights and its
sidecar, so replacing either on disk is picked up by the next job without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class ModelMissingError(FileNotFoundError):
    """The requested checkpoint does not exist."""


@dataclass
class TextModel:
    """A loaded text checkpoint with its generator."""

    path: Path
    model: Any  # keras.Model
    vocab: Any
    meta: dict[str, Any]
    generator: Any  # models.text.generate.TextGenerator
    load_seconds: float


_lock = threading.Lock()
_cache: dict[tuple[str, int, int], Any] = {}
# Observers of (kind, seconds) for every load, e.g. a Prometheus histogram.
load_listeners: list[Callable[[str, float], None]] = []


def _key(path: Path) -> tuple[str, int, int]:
    """The checkpoint's path and the versions of its weights and of the sidecar beside it: the
    sidecar says how to sample (a music model's temperature), so a new one means a reload."""
    try:
        weights = path.resolve().stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ModelMissingError(f"no checkpoint at {path}") from exc
    sidecar = path.with_suffix(".json")
    return str(path.absolute()), weights, sidecar.stat().st_mtime_ns if sidecar.is_file() else 0


def _cached(path: Path, kind: str, loader: Callable[[Path], Any]) -> Any:
    key = _key(path)
    with _lock:  # one load per process, even with a threads pool
        hit = _cache.get(key)
        if hit is not None:
            return hit
        started = time.perf_counter()
        value = loader(path)
        seconds = time.perf_counter() - started
        # Drop older versions of the same file.
        for old in [k for k in _cache if k[0] == key[0]]:
            del _cache[old]
        _cache[key] = value
    log.info("loaded %s model %s in %.2fs", kind, path.name, seconds,
             extra={"model_kind": kind, "load_seconds": round(seconds, 3)})
    for listener in load_listeners:
        listener(kind, seconds)
    return value


def _load_text(path: Path) -> TextModel:
    started = time.perf_counter()
    from models.text.checkpoint import load  # imports TensorFlow, in this process only
    from models.text.generate import TextGenerator

    model, vocab, meta = load(path)
    return TextModel(
        path=path,
        model=model,
        vocab=vocab,
        meta=dict(meta or {}),
        generator=TextGenerator(model, vocab),
        load_seconds=time.perf_counter() - started,
    )


def get_text_model(path: Path) -> TextModel:
    """The text model at ``path``, loaded on first use in this process.

    Raises:
        ModelMissingError: no file at ``path``.
    """
    return _cached(path, "text", _load_text)


def get_music_model(path: Path, loader: Callable[[Path], Any]) -> Any:
    """A music model loaded by ``loader`` (from ``models.music.registry``), cached like text."""
    return _cached(path, "music", loader)


def clear() -> None:
    """Forget every loaded model (tests)."""
    with _lock:
        _cache.clear()
