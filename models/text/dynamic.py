"""Dynamic evaluation of the character LSTM (Krause et al., 2018, "Dynamic Evaluation
of Neural Sequence Models").

The text is scored segment by segment, in order. Each segment is first scored with
the current weights (that score is what is reported, so every character is
predicted before the model has seen it), then the weights take one SGD step on
that same segment, pulled back toward the trained weights ``theta0``::

    theta <- theta - lr * grad(mean segment cross-entropy) + decay * (theta0 - theta)

The model adapts to the article it is reading: names and terms that recur within an
article (most of WikiText's rare words) get cheaper after their first uses.
Several streams may be scored at once for speed; they then share one set of
adapted weights, updated with the sum of their gradients, which adapts less well
than one stream (docs/BENCHMARKS.md). The weights are restored before returning.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import tensorflow as tf

LN2 = math.log(2.0)


@dataclasses.dataclass(frozen=True)
class DynamicConfig:
    """SGD step size, decay toward the trained weights, segment length and stream count.

    The defaults were selected on raw valid (docs/BENCHMARKS.md).
    """

    lr: float = 0.1
    decay: float = 3e-3
    seg_len: int = 50
    streams: int = 1

    def __post_init__(self) -> None:
        if self.lr < 0 or not 0 <= self.decay < 1:
            raise ValueError("need lr >= 0 and 0 <= decay < 1")
        if self.seg_len < 1 or self.streams < 1:
            raise ValueError("seg_len and streams must be >= 1")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def config_from(saved: dict, **overrides) -> DynamicConfig:
    """The settings saved with a checkpoint (if any), then each override that is not None."""
    names = {f.name for f in dataclasses.fields(DynamicConfig)}
    values = {k: v for k, v in saved.items() if k in names}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return DynamicConfig(**values)


def make_dynamic_step(model, cfg: DynamicConfig) -> Callable:
    """A compiled ``(x, y, states) -> (nll_sum, states)`` that scores, then adapts.

    ``step.restore()`` puts the trained weights back.
    """
    variables = model.trainable_variables
    theta0 = [tf.constant(v.numpy()) for v in variables]
    lr = tf.constant(cfg.lr, tf.float32)
    decay = tf.constant(cfg.decay, tf.float32)
    state_spec = [tf.TensorSpec([None, None], tf.float32)] * (2 * model.num_layers)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None], tf.int32), state_spec])
    def step(x, y, states):
        with tf.GradientTape() as tape:
            logits, new_states = model(x, states=states, training=False)
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(y, tf.cast(logits, tf.float32))
            # Each stream contributes its own mean-loss gradient (their sum, not mean).
            loss = tf.reduce_sum(tf.reduce_mean(nll, axis=1))
        grads = tape.gradient(loss, variables)
        for v, g, t0 in zip(variables, grads, theta0, strict=True):
            v.assign(v - lr * tf.convert_to_tensor(g) + decay * (t0 - v))
        return tf.reduce_sum(nll), [tf.stop_gradient(tf.cast(h, tf.float32)) for h in new_states]

    step.restore = lambda: [v.assign(t) for v, t in zip(variables, theta0, strict=True)]
    return step


def dynamic_bpc(model, ids: np.ndarray, cfg: DynamicConfig,
                progress: Callable[[int, int, float], None] | None = None) -> tuple[float, int]:
    """Bits per character of ``ids`` under dynamic evaluation; the weights are restored after.

    ``ids`` is cut into ``cfg.streams`` contiguous streams, as in
    :func:`models.text.train.evaluate_bpc` (the first character of each is not predicted).
    ``progress(end, n, bpc_so_far)`` is called after each segment.

    Returns:
        (bpc, number of characters predicted).
    """
    streams = max(1, min(cfg.streams, (len(ids) - 1) // 2))
    n = (len(ids) - 1) // streams
    data = np.stack([ids[b * n:b * n + n + 1] for b in range(streams)]).astype(np.int32)
    step = make_dynamic_step(model, cfg)
    states = [tf.zeros([streams, model.units], tf.float32)] * (2 * model.num_layers)
    total = 0.0
    try:
        for start in range(0, n, cfg.seg_len):
            end = min(n, start + cfg.seg_len)
            nll, states = step(data[:, start:end], data[:, start + 1:end + 1], states)
            total += float(nll)
            if progress is not None:
                progress(end, n, total / (streams * end) / LN2)
    finally:
        step.restore()
    return total / (streams * n) / LN2, streams * n
