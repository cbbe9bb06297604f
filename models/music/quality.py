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
import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.music import classifier as clf
from models.music import registry
from models.music.datasets import load_genre
from models.music.genres import get_genre
from models.music.metrics import FEATURES, sample_statistics
from models.music.stats import compare, windows

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


def loaded_once(loader: Callable[[Path], tuple[Any, Any, dict[str, Any]]]) -> Callable[[Path], tuple[Any, Any, dict[str, Any]]]:
    """``loader``, or for the uncached :func:`registry.load` a copy that loads each checkpoint
    once: every clip then runs the same model, and its compiled sampler is traced once."""
    return functools.cache(registry.load) if loader is registry.load else loader


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
    loader = loaded_once(loader)
    return [registry.compose(kind, genre, steps, temperature=temperature, seed=seed, loader=loader,
                             directory=directory) for seed in range(count)]


CALIBRATION_SEEDS = range(1000, 1012)  # disjoint from the checks' seeds 0..count-1
CALIBRATION_BOUNDS = (0.7, 1.5)
CALIBRATION_SPLIT = "train"


def calibrate_temperature(
    kind: str,
    genre: str,
    *,
    seeds: Sequence[int] = CALIBRATION_SEEDS,
    bounds: tuple[float, float] = CALIBRATION_BOUNDS,
    iterations: int = 7,
    target: float | None = None,
    loader: Callable[[Path], tuple[Any, Any, dict[str, Any]]] = registry.load,
    directory: str | Path | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """The sampling temperature at which the model's clips are as dense as its training data.

    A model trained on true histories (teacher forcing) and then fed its own output drifts:
    the ragtime and classical NADEs' free-running clips have a quarter fewer notes a beat
    than the music, while one frame drawn given the true history has the data's density
    (``bench/music_density.py``). This finds, by bisection within ``bounds``, the
    temperature at which clips made as ``/compose`` makes them (``registry.compose``,
    ``seeds``, none of them a seed of the checks) have the mean ``note_density`` of
    windows of the genre's *train* split (or ``target``). Only the training data and
    this one statistic are read: not the held-out pieces, nor the genre classifier.
    Store the result as the sidecar's ``"sampling"`` (:func:`write_sampling`).
    """
    g = get_genre(genre)
    steps = clf.clip_steps(genre)
    path = registry.checkpoint_path(kind, genre, directory)
    loader = loaded_once(loader)

    def density(rolls: Sequence[np.ndarray]) -> float:
        return float(np.nanmean([sample_statistics(r, g.steps_per_beat, beats_per_bar=g.beats_per_bar)
                                 ["note_density"] for r in rolls]))

    if target is None:
        target = density(windows(load_genre(g.name, data_dir)[CALIBRATION_SPLIT], steps, 500))

    def at(temperature: float) -> float:
        def load_at(p: Path) -> tuple[Any, Any, dict[str, Any]]:
            model, config, sidecar = loader(p)
            if Path(p) == path:  # this model at the trial temperature; any other as calibrated
                sidecar = {**sidecar, "sampling": {"temperature": temperature}}
            return model, config, sidecar

        return density([registry.compose(kind, genre, steps, seed=s, loader=load_at, directory=directory)
                        for s in seeds])

    tried = {1.0: at(1.0)}
    lo, hi = (1.0, bounds[1]) if tried[1.0] < target else (bounds[0], 1.0)  # density grows with temperature
    edge = hi if tried[1.0] < target else lo
    tried[edge] = at(edge)
    if (tried[edge] < target) == (tried[1.0] < target):  # out of reach within the bounds: the bound
        best = edge
    else:
        for _ in range(iterations):
            mid = round((lo + hi) / 2, 4)
            tried[mid] = at(mid)
            lo, hi = (mid, hi) if tried[mid] < target else (lo, mid)
        best = min(tried, key=lambda t: abs(tried[t] - target))
    return {"temperature": best, "density": tried[best], "target_density": target,
            "density_at_1": tried[1.0], "split": CALIBRATION_SPLIT, "seeds": [min(seeds), max(seeds)],
            "clips": len(seeds), "clip_steps": steps, "tried": {str(t): d for t, d in sorted(tried.items())}}


def write_sampling(path: Path, sampling: dict[str, Any]) -> None:
    """Store a calibration in the sidecar of the checkpoint at ``path`` (key ``"sampling"``)."""
    _record(path, "sampling", sampling)


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
    _record(path, "checks", checks)


def _record(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Set ``key`` of the sidecar of the checkpoint at ``path`` to ``entry``, dated today."""
    side = registry.sidecar_path(path)
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta[key] = _plain({**entry, "date": dt.datetime.now(dt.UTC).date().isoformat()})
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
