"""The checks a genre's default model must pass, and the NLL that ranks kinds fairly.

* **Comparable NLL** (:func:`comparable_nll`): every kind is scored on the same
  frames, those after the first :data:`COMPARABLE_BARS` bars of each validation
  piece, each model given those bars (the autoregressive kinds read them, the
  encoder-decoder's encoder reads the last ``primer_steps`` of them, the window
  RBM its last ``window - 1`` frames). Pieces no longer than that are left out of
  every kind alike. The training NLLs are not comparable: the encoder-decoder's
  counts only frames after its primer, the others' every frame from the second.
* **Sounds like its genre** (:func:`check_clips`): clips of :data:`~models.music.
  classifier.CLIP_SECONDS` at the genre's tempo, made as ``/compose`` makes them
  (``registry.compose``), must be classified as their own genre by the real-data
  classifier of :mod:`models.music.classifier` (share >= :data:`SHARE_TARGET`, and
  only when that classifier is at least :data:`~models.music.classifier.MIN_ACCURACY`
  accurate on real held-out clips), and their statistics
  (:mod:`models.music.stats`) must overlap the genre's validation pieces by at
  least :data:`OVERLAP_TARGET` on average over the features.

``bench/music_genre_checks.py`` runs both for every kind and genre and records
them in the sidecars (``"checks"``), where ``registry.best_choice`` reads them, and
the choice with its reason (``"default"``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.music import classifier as clf
from models.music import registry
from models.music.metrics import FEATURES
from models.music.stats import compare

COMPARABLE_BARS = 4
SHARE_TARGET = 0.70  # clips classified as their own genre
OVERLAP_TARGET = 0.70  # mean statistics overlap with the genre's validation pieces
CHECK_SPLIT = "valid"


def comparable_start(genre: str) -> int:
    """First scored frame of the comparable NLL: :data:`COMPARABLE_BARS` bars on the genre's grid."""
    return COMPARABLE_BARS * registry.bar_steps(genre)


def comparable_nll(kind: str, model: Any, config: Any, rolls: Sequence[np.ndarray], genre: str) -> dict[str, Any]:
    """Frame NLL of frames ``comparable_start(genre)..T-1`` of each piece, given the frames before."""
    start = comparable_start(genre)
    out = dict(registry.module(kind).frame_nll(model, config, rolls, start=start))
    out["start"] = start
    out["pieces"] = sum(1 for r in rolls if r.shape[0] > start)
    return out


def make_clips(
    kind: str,
    genre: str,
    count: int,
    *,
    temperature: float = 1.0,
    loader: Callable[[Path], tuple[Any, Any, dict[str, Any]]] = registry.load,
    directory: str | Path | None = None,
) -> list[np.ndarray]:
    """``count`` clips of ``classifier.clip_steps(genre)`` frames, seeds ``0..count-1``."""
    steps = clf.clip_steps(genre)
    return [registry.compose(kind, genre, steps, temperature=temperature, seed=seed, loader=loader,
                             directory=directory) for seed in range(count)]


def check_clips(
    genre: str,
    clips: Sequence[np.ndarray],
    classifier: clf.GenreClassifier,
    *,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Classifier share and statistics overlap of generated clips, and whether they pass."""
    labels = classifier.classify(clips, genre)
    share = float(np.mean([lab == genre for lab in labels])) if labels else float("nan")
    heldout = classifier.info.get("heldout", {})
    real = heldout.get("per_genre", {}).get(genre, {}).get("accuracy", float("nan"))
    usable = float(heldout.get("balanced_accuracy", 0.0)) >= clf.MIN_ACCURACY
    features = compare(genre, clips, split=CHECK_SPLIT, data_dir=data_dir)["features"]
    overlaps = {name: features[name]["overlap"] for name in FEATURES}
    finite = [v for v in overlaps.values() if isinstance(v, float) and math.isfinite(v)]
    mean_overlap = float(np.mean(finite)) if finite else float("nan")
    classified = {g: labels.count(g) for g in classifier.genres if labels.count(g)}
    return {
        "clips": len(clips),
        "clip_steps": int(clips[0].shape[0]) if len(clips) else 0,
        "classifier_share": share,
        "classified_as": classified,
        "classifier_real_accuracy": real,
        "classifier_usable": usable,
        "mean_overlap": mean_overlap,
        "overlap": overlaps,
        "passed": bool(usable and share >= SHARE_TARGET and mean_overlap >= OVERLAP_TARGET),
        "targets": {"classifier_share": SHARE_TARGET, "mean_overlap": OVERLAP_TARGET,
                    "classifier_accuracy": clf.MIN_ACCURACY},
    }


def _plain(obj: Any) -> Any:
    """NaN -> None, numpy scalars -> Python, so the sidecar stays standard JSON."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_checks(path: Path, checks: dict[str, Any]) -> None:
    """Store ``checks`` in the sidecar of the checkpoint at ``path`` (key ``"checks"``)."""
    side = registry.sidecar_path(path)
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["checks"] = _plain({**checks, "date": dt.datetime.now(dt.UTC).date().isoformat()})
    side.write_text(json.dumps(meta, indent=1), encoding="utf-8")


def write_default(genre: str, directory: str | Path | None = None) -> tuple[str, str] | None:
    """Record ``registry.best_choice`` of ``genre`` in each of its sidecars (key ``"default"``),
    with the kinds the genre has (``registry.genre_kinds``), for ``/about``."""
    choice = registry.best_choice(genre, directory=directory)
    if choice is None:
        return None
    kind, reason = choice
    kinds = registry.genre_kinds(genre, directory)
    for (k, g), path in registry.shipped(directory).items():
        if g != genre:
            continue
        side = registry.sidecar_path(path)
        meta = json.loads(side.read_text(encoding="utf-8"))
        meta["default"] = {"genre": genre, "kind": kind, "chosen": k == kind, "reason": reason, "kinds": kinds}
        side.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return choice
