"""The metrics of the field: frame-level NLL and sample statistics.

Frame NLL follows Boulanger-Lewandowski, Bengio & Vincent (ICML 2012) and the
papers that report on their four datasets: the model predicts frame ``t+1``
from frames ``<= t``; each frame's log-likelihood is the natural-log Bernoulli
likelihood summed over the 88 keys; the split's total is divided by the number
of predicted frames (not averaged per piece). A model that says p = 0.5 on
every key scores 88 ln 2 = 61.0 nats per frame.

Sample statistics follow Yang & Lerch (2018, "On the evaluation of generative
models in music") and MusPy (Dong et al. 2020): pitch-class histogram and its
entropy, pitch range, pitches used, polyphony, note density, empty-beat rate,
in-scale rate and scale consistency, mean inter-onset interval, mean note
length and groove consistency; plus the overlap of two feature distributions
(Gaussian kernel density estimates, overlapping area) used to compare
generated clips with a dataset.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.music.pianoroll import LOWEST_PITCH, NUM_KEYS, roll_to_note_arrays

LN2 = float(np.log(2.0))
EPS = 1e-7  # probabilities are clipped to [EPS, 1 - EPS] before the log

MAJOR = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)


# ---------------------------------------------------------------- likelihood


def bernoulli_nll(probs: np.ndarray, targets: np.ndarray, eps: float = EPS) -> float:
    """-sum log P(targets | probs), natural log, over every element."""
    p = np.clip(np.asarray(probs, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(targets, dtype=np.float64)
    if p.shape != y.shape:
        raise ValueError(f"probs shape {p.shape} != targets shape {y.shape}")
    return float(-(y * np.log(p) + (1.0 - y) * np.log1p(-p)).sum())


def bernoulli_nll_from_logits(logits: np.ndarray, targets: np.ndarray) -> float:
    """The same from logits, stable for large |logit|: softplus(x) - y * x."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"logits shape {x.shape} != targets shape {y.shape}")
    return float((np.logaddexp(0.0, x) - y * x).sum())


class FrameNLL:
    """Accumulates the split-level frame NLL over pieces or batches.

    ``acc.add(probs, roll[1:])`` for each piece, where ``probs[t]`` predicts
    ``roll[t + 1]``; then ``acc.result()["nll"]`` (61.0 for p = 0.5 everywhere).
    """

    def __init__(self) -> None:
        self.total = 0.0
        self.frames = 0

    def add(self, probs: np.ndarray, targets: np.ndarray, *, logits: bool = False) -> float:
        """Add predictions ``(F, 88)`` of ``F`` frames with their ``(F, 88)`` targets;
        returns this chunk's summed NLL."""
        if np.ndim(targets) != 2 or np.shape(targets)[1] != NUM_KEYS:
            raise ValueError(f"targets must be (frames, {NUM_KEYS}), got {np.shape(targets)}")
        nll = bernoulli_nll_from_logits(probs, targets) if logits else bernoulli_nll(probs, targets)
        self.total += nll
        self.frames += int(np.shape(targets)[0])
        return nll

    def result(self) -> dict[str, float | int]:
        return {
            "nll": self.total / self.frames if self.frames else float("nan"),
            "frames": self.frames,
            "total_nll": self.total,
        }


def frame_nll(
    predictions: Sequence[np.ndarray], rolls: Sequence[np.ndarray], *, logits: bool = False
) -> dict[str, float | int]:
    """Split-level frame NLL.

    Args:
        predictions: per piece, ``(T - 1, 88)`` probabilities (or logits) where
            row ``t`` is P(frame ``t + 1`` | frames ``<= t``).
        rolls: per piece, the ``(T, 88)`` binary roll.

    Returns:
        ``{"nll": total / frames, "frames": number of predicted frames, "total_nll"}``.
    """
    if len(predictions) != len(rolls):
        raise ValueError(f"{len(predictions)} predictions for {len(rolls)} rolls")
    acc = FrameNLL()
    for pred, roll in zip(predictions, rolls, strict=True):
        target = np.asarray(roll)[1:]
        if np.shape(pred) != target.shape:
            raise ValueError(f"prediction shape {np.shape(pred)} != target shape {target.shape}")
        acc.add(pred, target, logits=logits)
    return acc.result()


def predicted_frames(rolls: Sequence[np.ndarray]) -> int:
    """Number of frames the NLL is divided by: sum of (T - 1) over pieces."""
    return int(sum(max(0, r.shape[0] - 1) for r in rolls))


# ---------------------------------------------------------------- sample statistics

FEATURES = (
    "pitch_class_entropy",
    "pitch_range",
    "pitches_used",
    "polyphony",
    "note_density",
    "empty_beat_rate",
    "in_scale_rate",
    "scale_consistency",
    "mean_ioi",
    "mean_note_length",
    "groove_consistency",
)


def pitch_class_histogram(pitches: np.ndarray) -> np.ndarray:
    """Normalised counts of the 12 pitch classes (C = 0) over notes."""
    counts = np.bincount(np.asarray(pitches, dtype=np.int64) % 12, minlength=12).astype(np.float64)
    total = counts.sum()
    return counts / total if total else counts


def entropy_bits(hist: np.ndarray) -> float:
    p = hist[hist > 0]
    return float(-(p * np.log2(p)).sum()) if p.size else 0.0


def scale_rate(pitches: np.ndarray, root: int, scale: Sequence[int] = MAJOR) -> float:
    """Fraction of notes whose pitch class is in ``scale`` on ``root``."""
    if len(pitches) == 0:
        return float("nan")
    pcs = (np.asarray(pitches, dtype=np.int64) - root) % 12
    return float(np.isin(pcs, scale).mean())


def best_scale_rate(pitches: np.ndarray) -> float:
    """Scale consistency (MusPy): the highest in-scale rate over the 24 major and
    (harmonic) minor scales."""
    if len(pitches) == 0:
        return float("nan")
    return max(scale_rate(pitches, r, s) for r in range(12) for s in (MAJOR, HARMONIC_MINOR))


def groove_consistency(onset_steps: np.ndarray, bar_steps: int, total_steps: int) -> float:
    """1 - mean Hamming distance between the onset patterns of neighbouring bars
    (Wu & Yang 2020 as in MusPy), over bars of ``bar_steps`` grid positions."""
    n_bars = total_steps // bar_steps
    if n_bars < 2:
        return float("nan")
    pattern = np.zeros((n_bars, bar_steps), dtype=bool)
    s = onset_steps[onset_steps < n_bars * bar_steps]
    pattern[s // bar_steps, s % bar_steps] = True
    dist = (pattern[1:] != pattern[:-1]).mean(axis=1)
    return float(1.0 - dist.mean())


def sample_statistics(
    roll: np.ndarray,
    steps_per_beat: int,
    *,
    beats_per_bar: int = 4,
    onsets: np.ndarray | None = None,
    key: tuple[int, Sequence[int]] = (0, MAJOR),
) -> dict[str, float]:
    """Yang & Lerch / MusPy statistics of one ``(T, 88)`` roll.

    Notes follow the roll's held-note convention (optionally ``onsets``).
    ``in_scale_rate`` is measured against ``key`` (default C major: the
    Boulanger datasets are transposed to C major / C minor);
    ``scale_consistency`` against the best-fitting scale. Times are in beats.
    Values that do not exist for a clip (no notes, one bar) are NaN.
    """
    roll = np.asarray(roll)
    t_len = roll.shape[0]
    notes = roll_to_note_arrays(roll, steps_per_beat, onsets=onsets)
    pitches = notes.pitch.astype(np.int64)
    active = roll > 0
    sounding = active.sum(axis=1)
    beats = t_len / steps_per_beat
    stats: dict[str, float] = {}
    hist = pitch_class_histogram(pitches)
    stats["pitch_class_entropy"] = entropy_bits(hist) if len(pitches) else float("nan")
    stats["pitch_range"] = float(pitches.max() - pitches.min()) if len(pitches) else float("nan")
    stats["pitches_used"] = float(np.unique(pitches).size)
    stats["polyphony"] = float(sounding[sounding > 0].mean()) if (sounding > 0).any() else float("nan")
    stats["note_density"] = len(pitches) / beats if beats else float("nan")
    n_beats = int(np.ceil(t_len / steps_per_beat))
    if n_beats:
        per_beat = np.zeros(n_beats * steps_per_beat, dtype=bool)
        per_beat[:t_len] = sounding > 0
        stats["empty_beat_rate"] = float((~per_beat.reshape(n_beats, steps_per_beat).any(axis=1)).mean())
    else:
        stats["empty_beat_rate"] = float("nan")
    stats["in_scale_rate"] = scale_rate(pitches, key[0], key[1])
    stats["scale_consistency"] = best_scale_rate(pitches)
    onset_times = np.unique(notes.start)
    stats["mean_ioi"] = float(np.diff(onset_times).mean()) if onset_times.size > 1 else float("nan")
    stats["mean_note_length"] = float((notes.end - notes.start).mean()) if len(pitches) else float("nan")
    onset_steps = np.round(onset_times * steps_per_beat).astype(np.int64)
    stats["groove_consistency"] = groove_consistency(onset_steps, steps_per_beat * beats_per_bar, t_len)
    return stats


# ---------------------------------------------------------------- comparing two sets


def _kde(values: np.ndarray, grid: np.ndarray, bandwidth: float) -> np.ndarray:
    z = (grid[:, None] - values[None, :]) / bandwidth
    return np.exp(-0.5 * z * z).sum(axis=1) / (values.size * bandwidth * np.sqrt(2 * np.pi))


def _bandwidth(values: np.ndarray, span: float) -> float:
    # Scott's rule; floored so constant features still give a proper density
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    bw = 1.06 * std * values.size ** (-1 / 5)
    return max(bw, 1e-3 * max(span, 1e-9), 1e-6)


def distribution_overlap(a: Sequence[float], b: Sequence[float], grid_points: int = 2048) -> float:
    """Overlapping area (0..1) of the Gaussian KDEs of two samples (Yang & Lerch 2018).

    1 means the same distribution, 0 disjoint; NaN values are ignored.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size == 0 or y.size == 0:
        return float("nan")
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    span = hi - lo
    # one bandwidth for both (Scott's rule on the pooled values), so equal
    # samples give equal densities even for near-constant features
    bw = _bandwidth(np.concatenate([x, y]), span)
    pad = 4 * bw
    grid = np.linspace(lo - pad, hi + pad, grid_points)
    fx, fy = _kde(x, grid, bw), _kde(y, grid, bw)
    return float(np.clip(np.trapezoid(np.minimum(fx, fy), grid), 0.0, 1.0))


def compare_sets(
    generated: Sequence[dict[str, float]], reference: Sequence[dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Per feature: both means (and stds) and the overlap of the two distributions."""
    out = {}
    for name in FEATURES:
        g = np.array([s[name] for s in generated], dtype=np.float64)
        r = np.array([s[name] for s in reference], dtype=np.float64)
        out[name] = {
            "generated_mean": float(np.nanmean(g)) if np.isfinite(g).any() else float("nan"),
            "data_mean": float(np.nanmean(r)) if np.isfinite(r).any() else float("nan"),
            "generated_std": float(np.nanstd(g)) if np.isfinite(g).any() else float("nan"),
            "data_std": float(np.nanstd(r)) if np.isfinite(r).any() else float("nan"),
            "overlap": distribution_overlap(g, r),
        }
    return out


__all__ = [
    "LN2",
    "FEATURES",
    "FrameNLL",
    "bernoulli_nll",
    "bernoulli_nll_from_logits",
    "frame_nll",
    "predicted_frames",
    "sample_statistics",
    "pitch_class_histogram",
    "entropy_bits",
    "scale_rate",
    "best_scale_rate",
    "groove_consistency",
    "distribution_overlap",
    "compare_sets",
    "LOWEST_PITCH",
]
