"""Piano rolls into padded batches: the training epochs and the scoring batches of the music models.

Every batch is a tuple of numpy arrays (or tensors) whose last member is a (B, T) mask,
1 on the frames a loss counts and 0 on padding. The next-frame models (LSTM, NADE,
RNN-RBM) share :func:`next_frame_epoch` for training and :func:`scoring_batches` for
the frame NLL: ``(context, targets, mask)`` where ``context[t]`` is the frame before
``targets[t]``, silence before frame 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from models.music.datasets import NUM_KEYS
from models.music.pianoroll import random_transpose


def pad_stack(arrays: Sequence[np.ndarray], length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack (T_i, 88) arrays into (B, T, 88) float32 zero-padded, plus a (B, T) mask."""
    length = length or max(a.shape[0] for a in arrays)
    out = np.zeros((len(arrays), length, NUM_KEYS), np.float32)
    mask = np.zeros((len(arrays), length), np.float32)
    for i, a in enumerate(arrays):
        out[i, : a.shape[0]] = a
        mask[i, : a.shape[0]] = 1.0
    return out, mask


def with_start_frame(roll: np.ndarray) -> np.ndarray:
    """(T, 88) -> (T + 1, 88) with a silent start frame in front."""
    return np.concatenate([np.zeros((1, NUM_KEYS), roll.dtype), roll], axis=0)


def split_segments(length: int, window: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Cover range(length) with [start, end) segments of at most ``window``, random phase."""
    if length <= window:
        return [(0, length)]
    first = int(rng.integers(1, window + 1))
    bounds = [0, *range(first, length, window), length]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=False) if b > a]


def length_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Indices grouped by similar length (little padding), in random batch order."""
    order = np.argsort(np.asarray(lengths) + rng.random(len(lengths)), kind="stable")
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(groups)
    return groups


def next_frame_epoch(rolls: Sequence[np.ndarray], config: Any, rng: np.random.Generator) -> list[tuple]:
    """One pass over every frame: ``(context, targets, mask)`` batches.

    Each piece is transposed by up to ``config.transpose`` semitones and cut into
    segments of at most ``config.window`` frames (random phase), batched
    ``config.batch_size`` at a time by similar length.
    """
    items = []
    for roll in rolls:
        roll = random_transpose(roll, config.transpose, rng)
        padded = with_start_frame(roll)  # input t is frame t-1 (silence before frame 0)
        for a, b in split_segments(roll.shape[0], config.window, rng):
            items.append((padded[a:b], roll[a:b]))
    batches = []
    for idx in length_batches([it[1].shape[0] for it in items], config.batch_size, rng):
        inputs, mask = pad_stack([items[i][0] for i in idx])
        targets, _ = pad_stack([items[i][1] for i in idx])
        batches.append((inputs, targets, mask))
    return batches


def scoring_batches(
    rolls: Sequence[np.ndarray], batch_size: int = 16, start: int = 1
) -> Iterator[tuple[tf.Tensor, ...]]:
    """Whole pieces in padded batches of similar length, for the frame NLL.

    Yields ``(context, targets, mask)`` tensors: ``context[t]`` is the frame before
    ``targets[t]`` (silence before frame 0), and ``mask`` is 0 on padding and on the
    frames before ``start``: frame 0 has no frame before it and so is never a predicted
    frame (``start >= 1``); a larger ``start`` scores only frames ``start..T-1``, each
    still given every frame before it (the comparable NLL of ``models.music.quality``).
    Pieces of at most ``start`` frames have nothing to score and are left out. The
    order is fixed (seed 0), so every model's NLL sees the same batches; long pieces
    are scored whole (a recurrent state is never reset inside a piece).
    """
    if start < 1:
        raise ValueError("start must be >= 1: frame 0 has no frame before it")
    rolls = [r for r in rolls if r.shape[0] > start]
    rng = np.random.default_rng(0)
    for idx in length_batches([r.shape[0] for r in rolls], batch_size, rng):
        context, mask = pad_stack([with_start_frame(rolls[i])[:-1] for i in idx])
        targets, _ = pad_stack([rolls[i] for i in idx])
        mask[:, :start] = 0.0
        yield tf.constant(context), tf.constant(targets), tf.constant(mask)
