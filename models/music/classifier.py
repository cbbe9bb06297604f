"""Which genre does a clip sound like? A logistic regression on piano-roll features.

A check that nobody can tune by hand: the classifier learns the six genres from
their real training pieces only, and its accuracy is measured on real clips of
the held-out pieces (valid and test splits) before it judges a model's clips.

A clip is cut into nothing: its features describe the whole roll, on its own
grid, in beats, so genres on different grids compare:

* pitch classes, rotated to the clip's best-fitting major or harmonic-minor key
  (four of the datasets were transposed to C by their curators, the MIDI ones
  were not, and a genre is not a key), and whether that key is minor;
* register: mean, spread, lowest and highest pitch, notes per octave;
* texture: the share of frames with 0..6+ keys down, the interval classes
  sounding together (harmony), notes starting together;
* rhythm: note lengths and inter-onset intervals (log-spaced bins in beats),
  where onsets fall in the beat, notes per beat, empty beats;
* line: the steps between successive highest notes.

Those :data:`FEATURE_NAMES` are standardised and fed to a multinomial logistic
regression with an L2 penalty, trained by full-batch gradient descent in float64
from zeros, so training is deterministic; genres are weighted equally (the data
sets differ 50-fold in size). The weights are small enough to ship as JSON
(:func:`save` / :func:`load`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.music.genres import GENRES, get_genre
from models.music.metrics import HARMONIC_MINOR, MAJOR
from models.music.pianoroll import LOWEST_PITCH, roll_to_note_arrays

CLIP_SECONDS = 30.0  # the default length of a /compose clip, at the genre's tempo
MIN_ACCURACY = 0.85  # held-out accuracy on real clips below which the classifier is not used
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "checkpoints" / "genre_classifier.json"

_LENGTH_EDGES = np.array([0.2, 0.3, 0.6, 1.1, 2.1, 4.1])  # beats: 1/16, 1/8, 1/4... bins
_PHASES = 4  # onset position in the beat, in quarters of a beat
_POLYPHONY = 7  # frames with 0, 1, ..., 5, 6+ keys
_LINE_EDGES = np.array([0.5, 2.5, 4.5, 7.5, 12.5])  # semitones between successive top notes
_REGISTERS = 22  # note counts in bands of 4 keys
_SPREAD_EDGES = np.array([7.5, 12.5, 19.5, 24.5, 36.5])  # semitones from lowest to highest key down


def _names() -> tuple[str, ...]:
    names = [f"pc_{i}" for i in range(12)] + ["minor"]
    names += ["pitch_mean", "pitch_std", "pitch_low", "pitch_high"] + [f"register_{i}" for i in range(_REGISTERS)]
    names += ["bass_mean", "bass_std", "spread_mean"] + [f"spread_{i}" for i in range(len(_SPREAD_EDGES) + 1)]
    names += [f"poly_{i}" for i in range(_POLYPHONY)] + [f"harm_ic_{i}" for i in range(1, 7)]
    names += ["onsets_together"]
    names += [f"len_{i}" for i in range(len(_LENGTH_EDGES) + 1)]
    names += [f"ioi_{i}" for i in range(len(_LENGTH_EDGES) + 1)]
    names += [f"phase_{i}" for i in range(_PHASES)] + ["phase_other", "notes_per_beat", "empty_beats"]
    names += [f"line_{i}" for i in range(len(_LINE_EDGES) + 1)]
    return tuple(names)


FEATURE_NAMES = _names()


def clip_steps(genre: str) -> int:
    """Grid steps of a :data:`CLIP_SECONDS` clip at the genre's tempo."""
    g = get_genre(genre)
    return max(1, round(CLIP_SECONDS * g.tempo / 60.0 * g.steps_per_beat))


def _hist(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values), minlength=len(edges) + 1).astype(np.float64)
    return counts / counts.sum() if counts.sum() else counts


def _key(pitches: np.ndarray) -> tuple[int, bool]:
    """Root and mode (minor?) of the scale holding most notes; ties go to the scale whose
    tonic, then fifth, sounds most (so transposing the clip moves the root with it)."""
    pcs = np.bincount(pitches % 12, minlength=12)
    best: tuple[tuple[int, int, int], int, bool] | None = None
    for minor, scale in ((False, MAJOR), (True, HARMONIC_MINOR)):
        for root in range(12):
            key = (int(pcs[[(root + s) % 12 for s in scale]].sum()), int(pcs[root]), int(pcs[(root + 7) % 12]))
            if best is None or key > best[0]:
                best = (key, root, minor)
    assert best is not None
    return best[1], best[2]


def features(roll: np.ndarray, steps_per_beat: int) -> np.ndarray:
    """The :data:`FEATURE_NAMES` of one ``(T, 88)`` roll on a grid of ``steps_per_beat``."""
    roll = np.asarray(roll) > 0
    out = np.zeros(len(FEATURE_NAMES))
    notes = roll_to_note_arrays(roll.astype(np.uint8), steps_per_beat)
    pitches = notes.pitch.astype(np.int64)
    beats = max(roll.shape[0] / steps_per_beat, 1e-9)
    i = 0
    if pitches.size:
        root, minor = _key(pitches)
        out[i:i + 12] = np.bincount((pitches - root) % 12, minlength=12) / pitches.size
        out[i + 12] = float(minor)
    i += 13
    if pitches.size:
        out[i:i + 4] = [pitches.mean() / 100, pitches.std() / 12, pitches.min() / 100, pitches.max() / 100]
        bands = np.clip((pitches - LOWEST_PITCH) // 4, 0, _REGISTERS - 1)
        out[i + 4:i + 4 + _REGISTERS] = np.bincount(bands, minlength=_REGISTERS) / pitches.size
    i += 4 + _REGISTERS
    sounding = roll.sum(axis=1)
    down = sounding > 0
    if down.any():
        low = roll[down].argmax(axis=1)
        high = roll.shape[1] - 1 - roll[down][:, ::-1].argmax(axis=1)
        out[i:i + 3] = [low.mean() / 88, low.std() / 12, (high - low).mean() / 24]
        out[i + 3:i + 3 + len(_SPREAD_EDGES) + 1] = _hist(high - low, _SPREAD_EDGES)
    i += 4 + len(_SPREAD_EDGES)
    if roll.shape[0]:
        out[i:i + _POLYPHONY] = np.bincount(np.minimum(sounding, _POLYPHONY - 1), minlength=_POLYPHONY) / roll.shape[0]
    i += _POLYPHONY
    # interval classes between keys sounding together, over every frame
    pc_frames = np.zeros((roll.shape[0], 12))
    keys = np.nonzero(roll)
    np.add.at(pc_frames, (keys[0], (keys[1] + LOWEST_PITCH) % 12), 1.0)
    pc_frames = np.minimum(pc_frames, 1.0)
    ic = np.zeros(6)
    for shift in range(1, 7):
        pairs = (pc_frames * np.roll(pc_frames, -shift, axis=1)).sum()
        ic[shift - 1] = pairs / 2 if shift == 6 else pairs
    out[i:i + 6] = ic / ic.sum() if ic.sum() else ic
    i += 6
    onset_times, per_onset = np.unique(notes.start, return_counts=True)
    out[i] = per_onset.mean() / 4 if per_onset.size else 0.0
    i += 1
    if pitches.size:
        out[i:i + 7] = _hist(notes.end - notes.start, _LENGTH_EDGES)
    i += 7
    if onset_times.size > 1:
        out[i:i + 7] = _hist(np.diff(onset_times), _LENGTH_EDGES)
    i += 7
    if onset_times.size:
        phase = (onset_times % 1.0) * _PHASES
        on_grid = np.isclose(phase, np.round(phase))
        out[i:i + _PHASES] = np.bincount(np.round(phase[on_grid]).astype(int) % _PHASES,
                                         minlength=_PHASES) / onset_times.size
        out[i + _PHASES] = (~on_grid).mean()
    out[i + _PHASES + 1] = np.log1p(pitches.size / beats)
    n_beats = int(np.ceil(roll.shape[0] / steps_per_beat))
    if n_beats:
        per_beat = np.zeros(n_beats * steps_per_beat, bool)
        per_beat[: roll.shape[0]] = sounding > 0
        out[i + _PHASES + 2] = (~per_beat.reshape(n_beats, steps_per_beat).any(axis=1)).mean()
    i += _PHASES + 3
    if onset_times.size > 1:
        # the highest note starting at each onset time, and the steps between them
        order = np.lexsort((notes.pitch, notes.start))
        starts, top = notes.start[order], notes.pitch[order].astype(np.int64)
        last = np.r_[starts[1:] != starts[:-1], True]
        out[i:i + 6] = _hist(np.abs(np.diff(top[last])), _LINE_EDGES)
    return out


def real_clips(rolls: Sequence[np.ndarray], steps: int, hop: int | None = None) -> list[np.ndarray]:
    """Windows of ``steps`` frames (``hop`` apart, default non-overlapping) of real pieces;
    pieces shorter than half a clip are skipped, those shorter than a clip are kept whole."""
    hop = hop or steps
    out = []
    for r in rolls:
        if r.shape[0] < steps:
            if 2 * r.shape[0] >= steps:
                out.append(r)
            continue
        out += [r[s:s + steps] for s in range(0, r.shape[0] - steps + 1, hop)]
    return out


@dataclass
class GenreClassifier:
    """Standardisation and softmax weights over :data:`FEATURE_NAMES`."""

    genres: tuple[str, ...]
    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)
    weights: np.ndarray  # (F, G)
    bias: np.ndarray  # (G,)
    info: dict[str, Any]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(N, F) features -> (N, G) genre probabilities."""
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def classify(self, rolls: Iterable[np.ndarray], genre: str) -> list[str]:
        """The genre each roll (on ``genre``'s grid) is classified as."""
        spb = get_genre(genre).steps_per_beat
        x = np.array([features(r, spb) for r in rolls])
        if not len(x):
            return []
        return [self.genres[j] for j in self.probabilities(x).argmax(axis=1)]

    def to_dict(self) -> dict[str, Any]:
        return {"genres": list(self.genres), "features": list(FEATURE_NAMES),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias.tolist(), "info": self.info}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GenreClassifier:
        if list(d["features"]) != list(FEATURE_NAMES):
            raise ValueError("the classifier was trained on other features; retrain it")
        return cls(tuple(d["genres"]), np.array(d["mean"]), np.array(d["scale"]),
                   np.array(d["weights"]), np.array(d["bias"]), dict(d.get("info", {})))


def fit(
    x: np.ndarray,
    y: np.ndarray,
    genres: Sequence[str],
    *,
    l2: float = 1e-3,
    steps: int = 3000,
    learning_rate: float = 0.5,
) -> GenreClassifier:
    """Multinomial logistic regression, classes weighted equally, full-batch gradient
    descent with momentum from zero weights (deterministic)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.int64)
    n_classes = len(genres)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-8] = 1.0
    xs = (x - mean) / scale
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    if (counts == 0).any():
        raise ValueError("every genre needs training clips")
    sample_w = (1.0 / (n_classes * counts))[y]  # sums to 1
    onehot = np.eye(n_classes)[y]
    w = np.zeros((x.shape[1], n_classes))
    b = np.zeros(n_classes)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(steps):
        z = xs @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * sample_w[:, None]
        gw = xs.T @ g + l2 * w
        gb = g.sum(axis=0)
        vw = 0.9 * vw - learning_rate * gw
        vb = 0.9 * vb - learning_rate * gb
        w += vw
        b += vb
    return GenreClassifier(tuple(genres), mean, scale, w, b,
                           {"l2": l2, "steps": steps, "learning_rate": learning_rate,
                            "train_clips": {g: int(c) for g, c in zip(genres, counts, strict=True)}})


def genre_clips(
    data: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    splits: Sequence[str],
    *,
    hop_fraction: float = 1.0,
    max_per_genre: int | None = None,
    seed: int = 0,
) -> dict[str, list[np.ndarray]]:
    """Real clips of :func:`clip_steps` frames per genre from ``data[genre][split]``,
    at most ``max_per_genre`` (a seeded, evenly spread subset)."""
    out = {}
    for genre, splits_of in data.items():
        steps = clip_steps(genre)
        clips = real_clips([r for s in splits for r in splits_of[s]], steps,
                           max(1, int(steps * hop_fraction)))
        if max_per_genre and len(clips) > max_per_genre:
            pick = np.sort(np.random.default_rng(seed).choice(len(clips), max_per_genre, replace=False))
            clips = [clips[i] for i in pick]
        out[genre] = clips
    return out


def _matrix(clips: Mapping[str, Sequence[np.ndarray]], genres: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for j, genre in enumerate(genres):
        spb = get_genre(genre).steps_per_beat
        xs += [features(c, spb) for c in clips.get(genre, ())]
        ys += [j] * len(clips.get(genre, ()))
    return np.array(xs), np.array(ys, np.int64)


def train(
    data: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    *,
    max_train_per_genre: int = 2000,
    **fit_kwargs: Any,
) -> GenreClassifier:
    """Train on clips of every genre's train split (half-overlapping windows), then
    measure held-out accuracy on the clips of its valid and test splits (non-overlapping),
    stored in ``info["heldout"]``."""
    genres = tuple(g for g in GENRES if g in data)
    x, y = _matrix(genre_clips(data, ("train",), hop_fraction=0.5, max_per_genre=max_train_per_genre), genres)
    model = fit(x, y, genres, **fit_kwargs)
    model.info["heldout"] = accuracy(model, genre_clips(data, ("valid", "test")))
    return model


def accuracy(model: GenreClassifier, clips: Mapping[str, Sequence[np.ndarray]]) -> dict[str, Any]:
    """Per genre: clips and the share classified as that genre; overall: the mean of
    the per-genre shares (balanced accuracy) and the confusion counts."""
    per_genre, confusion = {}, {}
    for genre, rolls in clips.items():
        labels = model.classify(rolls, genre)
        per_genre[genre] = {"clips": len(labels),
                            "accuracy": float(np.mean([lab == genre for lab in labels])) if labels else float("nan")}
        confusion[genre] = {g: labels.count(g) for g in model.genres if labels.count(g)}
    shares = [v["accuracy"] for v in per_genre.values() if v["clips"]]
    return {"balanced_accuracy": float(np.mean(shares)) if shares else float("nan"),
            "per_genre": per_genre, "confusion": confusion}


def save(model: GenreClassifier, path: str | Path = DEFAULT_PATH) -> Path:
    path = Path(path)
    path.write_text(json.dumps(model.to_dict(), separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def load(path: str | Path = DEFAULT_PATH) -> GenreClassifier:
    return GenreClassifier.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
