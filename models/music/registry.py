"""Which music models exist, where their checkpoints live, and how to load one.

Adding a music model is one file and one line: write ``models/music/<kind>.py`` that
satisfies :class:`MusicModel` (its config, model, loss, training step and sampler), and
add ``"<kind>": False`` (True if it only continues a primer) to :data:`KINDS`. The
training and evaluation CLIs, the genre checks and the worker then find it by its kind.
A model module keeps only what is its own; the shared parts live beside it:
``batches`` (rolls into padded batches), ``training`` (the training loop: early
stopping, EMA, learning-rate halving, resume), ``inference`` (compiled functions per
model, the frame-NLL loop, the sampler harness) and ``models.config.JsonConfig``
(the config base). ``lstm.py`` is the smallest complete example.

A shipped checkpoint is ``music_<kind>_<genre>.keras`` plus a JSON sidecar of the same
stem (kind, genre, config, metrics); :func:`load` is the one loader the worker uses.
:func:`shipped` lists the checkpoints a genre offers: those whose training went past a
placeholder (:func:`placeholder_reason`), so a genre's kinds follow the files and the rule.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, Unpack, cast, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import keras

    from models.music.training import RunOptions

# Every music model, one line each: its kind (the module models.music.<kind>) and whether it
# only continues a primer (the encoder-decoder) instead of composing from silence.
KINDS: dict[str, bool] = {
    "lstm": False,
    "nade": False,
    "rbm": False,
    "rnn_rbm": False,
    "seq2seq": True,
}


class MusicConfig(Protocol):
    """A model's hyper-parameters: a dataclass on ``models.config.JsonConfig``."""

    steps_per_beat: int

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self: ...

    @classmethod
    def tiny(cls) -> Self: ...


@runtime_checkable
class MusicModel(Protocol):
    """What a model module ``models.music.<kind>`` provides; the module itself is the instance.

    Rolls are (T, 88) binary piano rolls; a frame NLL is per predicted frame, natural log.
    """

    KIND: str
    Config: type[MusicConfig]

    def config_for_genre(self, genre: str) -> MusicConfig:
        """The default sizes for a genre."""
        ...

    def build_model(self, config: Any) -> keras.Model:
        """A fresh Keras model (saved and loaded as a ``.keras`` file)."""
        ...

    def fit(self, model: keras.Model, config: Any, train_rolls: Sequence[np.ndarray],
            valid_rolls: Sequence[np.ndarray], **run: Unpack[RunOptions]) -> dict[str, Any]:
        """Train (``models.music.training``); ``{"train_nll", "valid_nll", "epochs", ...}``."""
        ...

    def frame_nll(self, model: keras.Model, config: Any, rolls: Sequence[np.ndarray], *,
                  start: int = ...) -> dict[str, Any]:
        """``{"nll", "frames", "estimate", ...}`` over frames ``start..T-1`` of each piece."""
        ...

    def generate(self, model: keras.Model, config: Any, steps: int, *, temperature: float = 1.0,
                 seed: int = 0, primer: np.ndarray | None = None) -> np.ndarray:
        """``steps`` new frames (steps, 88) uint8, after reading ``primer``; seeded."""
        ...

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


def _known(kind: str) -> str:
    if kind not in KINDS:
        raise UnknownKindError(f"unknown model kind {kind!r}; choose one of {sorted(KINDS)}")
    return kind


def module(kind: str) -> MusicModel:
    """Import the model module for ``kind`` (a key of :data:`KINDS`)."""
    return cast(MusicModel, importlib.import_module(f"models.music.{_known(kind)}"))


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


# A run that stopped on its time budget ("stopped": "time") has not converged; it counts
# as trained, rather than as a placeholder, only after this many passes over the training
# set and this many optimizer updates (on a small genre many epochs are few updates:
# ragtime's 18 RNN-RBM epochs were 88). A run that stopped early (its validation NLL
# stopped improving) or at its epoch limit is what its schedule asked for. Epochs and
# updates, not minutes: they mean the same on any machine. Of the shipped checkpoints
# trained on time, the placeholders had 1-4 epochs or at most 243 updates, the kept ones
# at least 5 epochs and 582 updates (docs/BENCHMARKS.md, "Every kind, side by side").
MIN_TIMED_EPOCHS = 5
MIN_TIMED_STEPS = 500


def placeholder_reason(metrics: Any) -> str | None:
    """Why a checkpoint's training record (its sidecar's ``"metrics"``) makes it a
    placeholder that must not ship, or None when it trained past that (see
    :data:`MIN_TIMED_EPOCHS`). A record without a ``"stopped"`` entry is not judged."""
    if not isinstance(metrics, dict) or metrics.get("stopped") != "time":
        return None
    epochs, steps = metrics.get("epochs"), metrics.get("steps")
    epochs = int(epochs) if isinstance(epochs, int | float) else 0
    steps = int(steps) if isinstance(steps, int | float) else 0
    if epochs >= MIN_TIMED_EPOCHS and steps >= MIN_TIMED_STEPS:
        return None
    return (f"stopped on its time budget after {epochs} epoch(s) and {steps} update(s); a run stopped on "
            f"time ships after {MIN_TIMED_EPOCHS} epochs and {MIN_TIMED_STEPS} updates at least")


def _sidecars(base: Path) -> Iterable[tuple[Path, dict[str, Any]]]:
    """(.keras path, sidecar) of every music checkpoint in ``base`` with a readable sidecar."""
    for side in sorted(base.glob("music_*.json")):
        keras_file = side.with_suffix(".keras")
        if not keras_file.exists():
            continue
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("kind"), str) and isinstance(meta.get("genre"), str):
            yield keras_file, meta


def placeholders(directory: str | Path | None = None) -> dict[tuple[str, str], str]:
    """The checkpoints in ``directory`` that :func:`shipped` refuses, {(kind, genre): why}."""
    base = Path(directory) if directory is not None else CHECKPOINT_DIR
    return {(meta["kind"], meta["genre"]): why for _, meta in _sidecars(base)
            if (why := placeholder_reason(meta.get("metrics"))) is not None}


def shipped(directory: str | Path | None = None) -> dict[tuple[str, str], Path]:
    """All shipped checkpoints as {(kind, genre): path}, read from the sidecars.

    A checkpoint whose training record marks it a placeholder (:func:`placeholder_reason`)
    is not offered, even when its files are there: the genre then lacks that kind."""
    base = Path(directory) if directory is not None else CHECKPOINT_DIR
    return {(meta["kind"], meta["genre"]): path for path, meta in _sidecars(base)
            if placeholder_reason(meta.get("metrics")) is None}


def genre_kinds(genre: str, directory: str | Path | None = None) -> list[str]:
    """The kinds a genre has (its :func:`shipped` checkpoints), in :data:`KINDS` order."""
    have = {kind for kind, g in shipped(directory) if g == genre}
    return [kind for kind in KINDS if kind in have]


# Kinds that compose from silence; the others (the encoder-decoder) continue a primer.
FROM_SILENCE: tuple[str, ...] = tuple(kind for kind, primed in KINDS.items() if not primed)


def needs_primer(kind: str) -> bool:
    """True for a kind that only continues a primer (see :data:`KINDS`)."""
    return KINDS[_known(kind)]


def shortfall(checks: dict[str, Any]) -> float:
    """How far a kind's clips are from passing the genre checks: the sum, over the two
    targets (classifier share and mean statistics overlap, both on a 0..1 scale), of how
    much the clips fall short of each; 0.0 when both are met. A figure not recorded
    counts as 0, its whole target short."""
    from models.music import quality  # lazy: quality imports this module

    targets = checks.get("targets") if isinstance(checks.get("targets"), dict) else {}
    total = 0.0
    for key, default in (("classifier_share", quality.SHARE_TARGET), ("mean_overlap", quality.OVERLAP_TARGET)):
        value = checks.get(key)
        value = float(value) if isinstance(value, int | float) and np.isfinite(value) else 0.0
        total += max(0.0, float(targets.get(key, default)) - value)
    return total


def _rank(kind: str, sidecar: dict[str, Any]) -> tuple[tuple, str] | None:
    """Sort key and reason for one checkpoint in :func:`best_choice`."""
    checks = sidecar.get("checks")
    if isinstance(checks, dict) and isinstance(checks.get("comparable_nll"), int | float):
        estimate = bool(checks.get("estimate", False))
        nll = float(checks["comparable_nll"])
        passed = bool(checks.get("passed", False))
        short = 0.0 if passed else shortfall(checks)
        detail = (f"comparable NLL {nll:.3f}{' (AIS estimate)' if estimate else ''}; clips "
                  f"{float(checks.get('classifier_share', float('nan'))):.0%} classified as the genre, "
                  f"mean overlap {float(checks.get('mean_overlap', float('nan'))):.3f}"
                  + ("" if passed else f", {short:.3f} short of the targets"))
        return (0 if passed else 2, short, estimate, nll), detail
    metrics = sidecar["metrics"]
    # No comparable NLL recorded: fall back to the training NLL, which for a primed kind
    # counts fewer, easier frames, so such a kind only wins when no other is there.
    estimate = bool(metrics.get("estimate", False))
    nll = float(metrics["valid_nll"])
    return (1, needs_primer(kind), estimate, nll), f"validation NLL {nll:.3f} (no genre checks recorded)"


def best_choice(
    genre: str,
    available: Iterable[str] | None = None,
    directory: str | Path | None = None,
) -> tuple[str, str] | None:
    """The default kind of a genre and the reason for it, read from the sidecars.

    Order: kinds whose recorded genre checks passed (``sidecar["checks"]``, written by
    ``bench/music_genre_checks.py``), then kinds with no checks recorded, then kinds
    that failed them. Among the kinds that failed, the one closest to passing wins: the
    smallest :func:`shortfall`, the sum of what its clips lack against the classifier-share
    and the mean-overlap targets, so a kind far from the genre never wins on likelihood
    alone. Then, within a group, an exact likelihood beats an AIS estimate (estimates
    are biased, optimistic with a short annealing schedule), then the lower comparable
    NLL wins: every kind scored on the same frames, those after the first 4 bars of each
    validation piece, each given those 4 bars.

    Returns:
        ``(kind, reason)``, or None when no checkpoint of those kinds exists for the genre.
    """
    kinds = list(available) if available is not None else list(KINDS)
    best: tuple[tuple, str, str] | None = None
    for (kind, g), path in shipped(directory).items():
        if g != genre or kind not in kinds:
            continue
        try:
            key, detail = _rank(kind, read_sidecar(path))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if best is None or key < best[0]:
            best = (key, kind, detail)
    if best is None:
        return None
    group = best[0][0]
    why = {0: "lowest comparable NLL among the kinds whose clips pass the genre checks",
           1: "no kind has passing genre checks recorded: lowest validation NLL of the unchecked kinds, "
              "primed kinds last",
           2: "no kind's clips pass the genre checks: the closest to passing (smallest summed shortfall "
              "against the share and overlap targets), then lowest comparable NLL"}[group]
    return best[1], f"{why} ({best[2]})"


def best_kind(
    genre: str,
    available: Iterable[str] | None = None,
    directory: str | Path | None = None,
) -> str | None:
    """The kind of :func:`best_choice` (None when no checkpoint of those kinds exists).

    Args:
        genre: genre name.
        available: kinds to consider (default: every kind in :data:`KINDS`).
        directory: checkpoint folder (default: models/checkpoints).
    """
    choice = best_choice(genre, available, directory)
    return choice[0] if choice else None


def bar_steps(genre: str) -> int:
    """Grid steps of one bar of the genre."""
    info = genre_info(genre)
    return info["steps_per_beat"] * info["beats_per_bar"]


def sampling_temperature(sidecar: dict[str, Any]) -> float:
    """The model's own sampling temperature (``"sampling"`` in its sidecar; 1.0 without one).

    A request's temperature multiplies it, so 1.0 always means "as the model was calibrated"
    (``quality.calibrate_temperature``): free-running clips can drift sparser or denser than
    the music the model was trained on (it never read its own output in training).
    """
    return float(sidecar.get("sampling", {}).get("temperature", 1.0))


def compose(
    kind: str,
    genre: str,
    steps: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    loader: Callable[[Path], tuple[Any, Any, dict[str, Any]]] = load,
    directory: str | Path | None = None,
) -> np.ndarray:
    """A ``(steps, 88)`` clip of a genre from silence, as ``/compose`` makes it.

    A kind that needs a primer (the encoder-decoder) never starts from an empty one:
    the genre's best from-silence kind (:data:`FROM_SILENCE`, :func:`best_kind`)
    writes the first bar with the same seed, and the primed kind continues it; the
    clip is that bar and the continuation. ``temperature`` multiplies each model's
    own (:func:`sampling_temperature`).

    Raises:
        FileNotFoundError: a checkpoint it needs is not installed.
    """
    mod = module(kind)
    model, config, sidecar = loader(checkpoint_path(kind, genre, directory))
    if not needs_primer(kind):
        return mod.generate(model, config, steps, temperature=temperature * sampling_temperature(sidecar),
                            seed=seed)
    lead = best_kind(genre, FROM_SILENCE, directory)
    if lead is None:
        raise FileNotFoundError(f"no from-silence model for {genre!r} to prime the {kind} model with")
    lead_model, lead_config, lead_sidecar = loader(checkpoint_path(lead, genre, directory))
    primer = module(lead).generate(lead_model, lead_config, min(bar_steps(genre), steps),
                                   temperature=temperature * sampling_temperature(lead_sidecar), seed=seed)
    rest = mod.generate(model, config, steps - primer.shape[0], temperature=temperature * sampling_temperature(sidecar),
                        seed=seed, primer=primer)
    return np.concatenate([primer, rest]).astype(np.uint8)


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
