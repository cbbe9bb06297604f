"""Sampling from logits: temperature, top-k, top-p (nucleus), with an explicit seed.

Everything here is TensorFlow ops that run inside a ``tf.function`` generation loop.
Sampling uses inverse-CDF with one uniform number per row and step, so a row's
draws depend only on its own seed: the same prompt and seed give the same text
whether it runs alone or in a batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

NEG_INF = -1e9


def apply_top_k(logits: tf.Tensor, k: tf.Tensor | int) -> tf.Tensor:
    """Keep the ``k`` largest logits per row (ties with the k-th kept too); ``k <= 0`` keeps all.

    Args:
        logits: (B, V).
        k: scalar int.
    """
    k = tf.convert_to_tensor(k, tf.int32)
    vocab = tf.shape(logits)[-1]

    def keep_top():
        # A sort and a gather rather than tf.math.top_k, whose k must be static under XLA.
        ordered = tf.sort(logits, axis=-1, direction="DESCENDING")
        kth = tf.gather(ordered, tf.minimum(k, vocab) - 1, axis=-1)[:, None]  # (B, 1)
        return tf.where(logits < kth, tf.cast(NEG_INF, logits.dtype), logits)

    return tf.cond((k > 0) & (k < vocab), keep_top, lambda: logits)


# Top-p compares accumulated float32 probabilities with ``p``. The mass before a symbol
# is a sum of rounded terms, and the same logits give sums a few ulps apart in a batch
# and alone, or on another CPU. A symbol is therefore kept while the mass before it is
# below ``p - TOP_P_TOLERANCE``: at the boundary (mass before == p in exact arithmetic)
# it is dropped, whatever the rounding. 1e-5 is far above float32 cumsum error over a
# few hundred symbols (~1e-6) and far below any nucleus size a user would choose.
TOP_P_TOLERANCE = 1e-5


def apply_top_p(logits: tf.Tensor, p: tf.Tensor | float) -> tf.Tensor:
    """Keep the smallest set of most likely symbols whose probability reaches ``p``; ``p >= 1`` keeps all.

    A symbol is kept while the probability mass of the symbols before it (in
    descending order) is below ``p - TOP_P_TOLERANCE``, so a set that reaches ``p``
    exactly ends there; the most likely symbol is always kept, and symbols tied
    with the least likely kept one are kept too.

    Args:
        logits: (B, V), already divided by the temperature.
        p: scalar float in (0, 1].
    """
    p = tf.convert_to_tensor(p, logits.dtype)

    def nucleus():
        probs = tf.nn.softmax(logits)
        threshold = nucleus_threshold(probs, p - TOP_P_TOLERANCE)
        return tf.where(probs < threshold, tf.cast(NEG_INF, logits.dtype), logits)

    return tf.cond(p < 1.0, nucleus, lambda: logits)


# Enough halvings to bring any interval of non-negative float32 bit patterns up to 1.0
# (0x3F800000 < 2**30) down to neighbours.
_THRESHOLD_HALVINGS = 31


def nucleus_threshold(probs: tf.Tensor, limit: tf.Tensor | float) -> tf.Tensor:
    """The smallest probability ``q`` of each row whose strictly more likely symbols
    hold less than ``limit`` in all; the row's maximum where none does. (B, V) -> (B, 1).

    In descending order, the first symbol of probability ``q`` has exactly that mass
    before it, so this is the least likely symbol a nucleus of mass ``limit`` keeps.
    It needs no sort: the mass above ``t`` falls as ``t`` grows and changes only at the
    row's probabilities, so a bisection over the bit patterns of non-negative float32
    values (ordered as the values are) finds the smallest ``t`` with less than
    ``limit`` above it, which is one of the probabilities. Each halving is one
    compare-and-sum over the row, much cheaper than sorting it under XLA on a CPU
    (``bench/text_batch_top_p.py --nucleus search sort``).
    """
    probs = tf.convert_to_tensor(probs)
    limit = tf.cast(limit, probs.dtype)
    bits = tf.bitcast(probs, tf.int32)
    # Invariant: less than ``limit`` lies above ``hi``, at least ``limit`` above ``lo``
    # (or ``hi`` is the maximum, where no t is small enough).
    lo = tf.zeros_like(bits[:, :1])
    hi = tf.reduce_max(bits, axis=-1, keepdims=True)

    def halve(i, lo, hi):
        mid = lo + (hi - lo) // 2
        above = tf.reduce_sum(tf.where(probs > tf.bitcast(mid, probs.dtype), probs, 0.0),
                              axis=-1, keepdims=True)
        small = above < limit
        return i + 1, tf.where(small, lo, mid), tf.where(small, mid, hi)

    _, _, hi = tf.while_loop(lambda i, *_: i < _THRESHOLD_HALVINGS, halve, (tf.constant(0), lo, hi))
    return tf.reduce_min(tf.where(bits >= hi, probs, 2.0), axis=-1, keepdims=True)


def filter_logits(logits: tf.Tensor, temperature: tf.Tensor | float, top_k: tf.Tensor | int = 0,
                  top_p: tf.Tensor | float = 1.0) -> tf.Tensor:
    """Temperature, then top-k, then top-p. Returns filtered logits (B, V)."""
    logits = tf.cast(logits, tf.float32) / tf.cast(temperature, tf.float32)
    return apply_top_p(apply_top_k(logits, top_k), top_p)


def sample_with_uniforms(logits: tf.Tensor, uniforms: tf.Tensor) -> tf.Tensor:
    """Draw one id per row from softmax(logits) by inverse CDF.

    Args:
        logits: (B, V) filtered logits.
        uniforms: (B,) numbers in [0, 1).

    Returns:
        (B,) int32 ids.
    """
    probs = tf.nn.softmax(logits)
    cdf = tf.cumsum(probs, axis=-1)  # (B, V)
    target = uniforms[:, None] * cdf[:, -1:]
    ids = tf.reduce_sum(tf.cast(cdf <= target, tf.int32), axis=-1)
    # Never return a symbol of probability 0 (rounding at the top of the CDF).
    ids = tf.minimum(ids, tf.shape(logits)[-1] - 1)
    return tf.where(tf.gather(probs, ids[:, None], batch_dims=1)[:, 0] > 0, ids,
                    tf.argmax(logits, axis=-1, output_type=tf.int32))


def row_uniforms(seeds: Sequence[int], steps: int) -> np.ndarray:
    """(B, steps) float32 uniforms in [0, 1), row ``b`` drawn from its own seed ``seeds[b]`` only.

    Drawn before the generation loop (numpy's PCG64), so the loop itself needs no
    random op and the draws of a row do not depend on the batch it runs in.
    """
    out = np.empty((len(seeds), steps), np.float32)
    for row, seed in enumerate(seeds):
        out[row] = np.random.Generator(np.random.PCG64(int(seed))).random(steps, dtype=np.float32)
    return out


def sample(logits, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
           seed: int = 0) -> tf.Tensor:
    """Convenience: sample one id per row of ``logits`` (B, V) with a seed. Returns (B,) int32."""
    logits = tf.convert_to_tensor(logits, tf.float32)
    batch = tf.shape(logits)[0]
    uniforms = tf.random.stateless_uniform([batch], seed=[seed, 0x5EED])
    return sample_with_uniforms(filter_logits(logits, temperature, top_k, top_p), uniforms)
