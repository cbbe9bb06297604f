"""Which music models exist, where their checkpoints live, and how to load one.

Every model module ``models.music.<kind>`` follows one protocol (``KIND``,
``Config``, ``build_model``, ``fit``, ``frame_nll``, ``generate``), so the
training and evaluation CLIs and the worker dispatch by kind name only. A
shipped checkpoint is ``music_<kind>_<genre>.keras`` plus a JSON sidecar of the
same stem (kind, genre, config, metrics); :func:`load` is the one loader the
worker uses.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

KINDS: dict[str, str] = {
    kind: f"models.music.{kind}" for kind in ("lstm", "seq2seq", "rbm", "rnn_rbm", "nade")
}

# Genre <-> Boulanger dataset, for the evaluation CLI, which names datasets rather
# than genres (models.music.genres holds the full genre registry).
GENRE_DATASETS: dict[str, str] = {
    "chorale": "jsb",
    "folk": "nottingham",
    "classical_piano": "piano_midi_de",
    "classical": "musedata",
}
DATASET_GENRES: dict[str, str] = {d: g for g, d in GENRE_DATASETS.items()}

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"


class UnknownKindError(ValueError):
    """A model kind that is not in :data:`KINDS`."""


def module(kind: str) -> ModuleType:
    """Import the model module for ``kind`` (lstm, seq2seq, rbm, rnn_rbm, nade)."""
    if kind not in KINDS:
        raise UnknownKindError(f"unknown model kind {kind!r}; choose one of {sorted(KINDS)}")
    return importlib.import_module(KINDS[kind])


def checkpoint_name(kind: str, genre: str) -> str:
    """File stem of a shipped checkpoint: ``music_<kind>_<genre>``."""
    return f"music_{kind}_{genre}"


def checkpoint_path(kind: str, genre: str, directory: str | Path | None = None) -> Path:
    """Path of the ``.keras`` file of a shipped checkpoint (it may not exist)."""
    base = Path(directory) if directory is not None else CHECKPOINT_DIR
    return base / f"{checkpoint_name(kind, genre)}.keras"


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar next to a ``.keras`` checkpoint."""
    return Path(path).with_suffix(".json")


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """Read the JSON sidecar of a checkpoint (``path`` is the .keras or the .json file)."""
    with open(sidecar_path(path), encoding="utf-8") as fh:
        return json.load(fh)


def load(path: str | Path) -> tuple[Any, Any, dict[str, Any]]:
    """Load a checkpoint: ``(keras_model, config, sidecar)``.

    The sidecar names the kind, so its module is imported first (it registers
    any custom layers) and its ``Config`` is rebuilt from the sidecar.
    """
    import keras  # lazy: importing the registry must stay cheap

    path = Path(path)
    if path.suffix != ".keras":
        path = path.with_suffix(".keras")
    sidecar = read_sidecar(path)
    mod = module(sidecar["kind"])
    config = mod.Config.from_dict(sidecar["config"])
    model = keras.saving.load_model(path, compile=False)
    return model, config, sidecar


def shipped(directory: str | Path | None = None) -> dict[tuple[str, str], Path]:
    """All shipped checkpoints as {(kind, genre): path}, read from the sidecars."""
    base = Path(directory) if directory is not None else CHECKPOINT_DIR
    found: dict[tuple[str, str], Path] = {}
    for side in sorted(base.glob("music_*.json")):
        keras_file = side.with_suffix(".keras")
        if not keras_file.exists():
            continue
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
            found[(meta["kind"], meta["genre"])] = keras_file
        except (OSError, ValueError, KeyError):
            continue
    return found


def best_kind(
    genre: str,
    available: Iterable[str] | None = None,
    directory: str | Path | None = None,
) -> str | None:
    """The kind with the lowest validation NLL among shipped checkpoints for ``genre``.

    Exact NLLs are preferred over AIS estimates.

    Args:
        genre: genre name.
        available: kinds to consider (default: every kind in :data:`KINDS`).
        directory: checkpoint folder (default: models/checkpoints).

    Returns:
        The kind, or None when no checkpoint of those kinds exists for the genre.
    """
    kinds = list(available) if available is not None else list(KINDS)
    # An exact likelihood beats an AIS estimate: estimates are biased (optimistic with a
    # short annealing schedule), so they are only compared among themselves.
    best: tuple[bool, float, str] | None = None
    for (kind, g), path in shipped(directory).items():
        if g != genre or kind not in kinds:
            continue
        try:
            metrics = read_sidecar(path)["metrics"]
            key = (bool(metrics.get("estimate", False)), float(metrics["valid_nll"]), kind)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else None


def genre_info(genre: str) -> dict[str, Any]:
    """Dataset key, grid, tempo and beats per bar of a genre (``models.music.genres``).

    A genre may also name a transposition range for training augmentation
    (``transpose``); none does today, because the Boulanger sets are already
    transposed to C major / C minor, so random keys would only blur the test NLL.
    """
    from models.music.genres import get_genre

    g = get_genre(genre)
    info: dict[str, Any] = {
        "genre": g.name,
        "dataset": g.dataset,
        "steps_per_beat": int(g.steps_per_beat),
        "tempo": int(g.tempo),
        "beats_per_bar": int(g.beats_per_bar),
    }
    if getattr(g, "transpose", None) is not None:
        info["transpose"] = int(g.transpose)
    return info


def load_genre_data(genre: str, data_dir: str | Path | None = None) -> dict[str, list]:
    """{"train","valid","test": [(T, 88) uint8 rolls]} for a genre."""
    from models.music.datasets import load_genre

    return load_genre(genre, data_dir)
