"""Dynamic evaluation of the character LSTM (Krause et al., 2018, "Dynamic Evaluation
of Neural Sequence Models").

The text is scored segment by segment, in order. Each segment is first scored with
the current weights (that score is what is reported, so every character is
predicted before the model has seen it), then the weights take one gradient step
on that same segment, pulled back toward the trained weights ``theta0``::

    theta <- theta - lr * g / (rms + eps * mean(rms)) + min(decay * rms / mean(rms), 1) * (theta0 - theta)

``g`` is the gradient of the segment's mean cross-entropy and ``rms`` the per-weight
root mean square of such gradients on training text (:func:`gradient_ms`): the
paper's "RMS with a global decay prior" (``method="rms"``), which steps further in
the weights that training text rarely moves and pulls the busiest ones back
fastest. ``method="sgd"`` is the plain variant, ``rms = 1`` and ``eps = 0``.

The model adapts to the article it is reading: names and terms that recur within an
article (most of WikiText's rare words) get cheaper after their first uses.
Several streams may be scored at once for speed; they then share one set of
adapted weights, updated with the sum of their gradients, which adapts less well
than one stream (docs/BENCHMARKS.md). The weights are restored before returning.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from models.text.lstm_cell import lstm_step
from models.text.train import char_bits


@dataclasses.dataclass(frozen=True)
class DynamicConfig:
    """Update rule, step size, decay toward the trained weights, segment length, streams.

    ``eps`` (relative to the mean RMS gradient) and ``ms_batches`` (of 32 windows of
    training text, for :func:`gradient_ms`) apply to ``method="rms"`` only. The
    defaults were selected on raw valid (docs/BENCHMARKS.md).
    """

    method: str = "rms"
    lr: float = 3e-4
    decay: float = 3e-3
    seg_len: int = 50
    streams: int = 1
    eps: float = 0.1
    ms_batches: int = 60

    def __post_init__(self) -> None:
        if self.lr < 0 or not 0 <= self.decay < 1:
            raise ValueError("need lr >= 0 and 0 <= decay < 1")
        if self.seg_len < 1 or self.streams < 1:
            raise ValueError("seg_len and streams must be >= 1")
        if self.method not in ("rms", "sgd"):
            raise ValueError(f"method must be 'rms' or 'sgd', not {self.method!r}")
        if self.method == "rms" and (self.eps <= 0 or self.ms_batches < 1):
            raise ValueError("method 'rms' needs eps > 0 and ms_batches >= 1")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def config_from(saved: dict, **overrides) -> DynamicConfig:
    """The settings saved with a checkpoint (if any), then each override that is not None."""
    names = {f.name for f in dataclasses.fields(DynamicConfig)}
    values = {k: v for k, v in saved.items() if k in names}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return DynamicConfig(**values)


def gradient_ms(model, ids: np.ndarray, seg_len: int = 50, batches: int = 60, batch: int = 32,
                seed: int = 0) -> list[tf.Tensor]:
    """Per-weight mean square of the segment-loss gradient on training text ``ids``.

    Each of ``batches`` batches holds ``batch`` random windows: ``seg_len`` characters of
    context to set the LSTM state, then a ``seg_len``-character segment whose mean
    cross-entropy is differentiated. A batch-mean gradient's square is scaled by
    ``batch`` to estimate one segment's (the noise dominates the mean).
    """
    variables = model.trainable_variables
    acc = [tf.zeros_like(v) for v in variables]

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def squared_grads(windows):
        context, x, y = windows[:, :seg_len], windows[:, seg_len:-1], windows[:, seg_len + 1:]
        _, states = model(context, training=False)
        with tf.GradientTape() as tape:
            logits, _ = model(x, states=[tf.stop_gradient(s) for s in states], training=False)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                y, tf.cast(logits, tf.float32)))
        return [tf.square(tf.convert_to_tensor(g)) for g in tape.gradient(loss, variables)]

    rng = np.random.default_rng(seed)
    for row in rng.integers(0, len(ids) - 2 * seg_len - 2, size=(batches, batch)):
        windows = np.stack([ids[s:s + 2 * seg_len + 1] for s in row]).astype(np.int32)
        for i, sq in enumerate(squared_grads(windows)):
            acc[i] += sq
    return [a * (batch / batches) for a in acc]


def segment_loss_and_grads(model, x: tf.Tensor, y: tf.Tensor, states: list[tf.Tensor]):
    """Per-position NLL of one segment, its gradients and the new states, in one pass.

    The same as a tape over ``model(x, states)``, arranged for a batch-1 CPU, where a step
    is bound by reading weights: each layer's input projection and its gradient are one
    matmul over the segment, and the recurrent kernel is held constant inside the time
    loop, so the loop's backward pass does not add a (units, 4 units) outer product into
    an accumulator at every step. Its gradient is then one matmul at the end,
    ``sum_t h_{t-1}^T dz_t``, from the gradient of the segment's pre-activations ``z``.
    The loss differentiated is the sum over streams of each stream's mean NLL.

    Returns:
        ``(nll (B, T), grads in model.trainable_variables order, new states)``.
    """
    steps = x.shape[1]
    if steps is None:
        raise ValueError("the segment length must be static")
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        inputs = model.embedding(x)  # (B, T, E)
        new_states, pre, hidden = [], [], []
        for i, rnn in enumerate(model.rnns):
            cell = rnn.cell
            xz = tf.einsum("btd,dk->tbk", inputs, cell.kernel) + cell.bias  # (T, B, 4U)
            recurrent = tf.stop_gradient(tf.convert_to_tensor(cell.recurrent_kernel))
            h, c = states[2 * i], states[2 * i + 1]
            before, outputs = [], []
            for t in range(steps):
                before.append(h)
                h, c = lstm_step(xz[t] + tf.matmul(h, recurrent), c)
                outputs.append(h)
            pre.append(xz)
            hidden.append(tf.stack(before))  # h_{t-1} for each t: (T, B, U)
            new_states += [h, c]
            inputs = tf.stack(outputs, axis=1)  # (B, T, U)
        logits = model.head(inputs)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(y, tf.cast(logits, tf.float32))
        loss = tf.reduce_sum(tf.reduce_mean(nll, axis=1))
    grads = tape.gradient(loss, [*variables, *pre])
    grads, pre_grads = grads[:len(variables)], grads[len(variables):]
    index = {id(v): i for i, v in enumerate(variables)}
    for rnn, h_before, dz in zip(model.rnns, hidden, pre_grads, strict=True):
        grads[index[id(rnn.cell.recurrent_kernel)]] = tf.einsum("tbu,tbk->uk", h_before, dz)
    return nll, [tf.convert_to_tensor(g) for g in grads], new_states


def tape_loss_and_grads(model, x: tf.Tensor, y: tf.Tensor, states: list[tf.Tensor]):
    """:func:`segment_loss_and_grads` computed plainly, with a tape over ``model(x, states)``.

    The reference it is tested and timed against (``bench/text_dynamic_speed.py``).
    """
    with tf.GradientTape() as tape:
        logits, new_states = model(x, states=states, training=False)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(y, tf.cast(logits, tf.float32))
        loss = tf.reduce_sum(tf.reduce_mean(nll, axis=1))
    grads = tape.gradient(loss, model.trainable_variables)
    return nll, [tf.convert_to_tensor(g) for g in grads], new_states


def make_dynamic_step(model, cfg: DynamicConfig, ms: list[tf.Tensor] | None = None,
                      loss_and_grads: Callable = segment_loss_and_grads) -> Callable:
    """A compiled ``(x, y, states) -> (nll, states)`` that scores each position, then adapts.

    ``ms`` (from :func:`gradient_ms`) is required for ``method="rms"``. ``loss_and_grads``
    has the signature and result of :func:`segment_loss_and_grads` (a benchmark passes
    :func:`tape_loss_and_grads` to compare). ``step.restore()`` puts the trained weights back.
    """
    variables = model.trainable_variables
    theta0 = [tf.constant(v.numpy()) for v in variables]
    if cfg.method == "rms":
        if ms is None:
            raise ValueError("method 'rms' needs the training gradients' mean squares (gradient_ms)")
        rms = [tf.sqrt(m) for m in ms]
        mean_rms = tf.add_n([tf.reduce_sum(r) for r in rms]) / sum(int(tf.size(r)) for r in rms)
        scale = [1.0 / (r + cfg.eps * mean_rms) for r in rms]
        rate = [tf.minimum(cfg.decay * r / mean_rms, 1.0) for r in rms]
    else:
        scale = [tf.ones_like(t) for t in theta0]
        rate = [tf.fill(tf.shape(t), cfg.decay) for t in theta0]
    lr = tf.constant(cfg.lr, tf.float32)

    # The time loop is unrolled, so this traces once per segment shape (the last may be shorter).
    @tf.function
    def step(x, y, states):
        # Each stream contributes its own mean-loss gradient (their sum, not mean).
        nll, grads, new_states = loss_and_grads(model, x, y, states)
        for v, g, t0, s, r in zip(variables, grads, theta0, scale, rate, strict=True):
            v.assign(v - lr * g * s + r * (t0 - v))
        return nll, [tf.stop_gradient(tf.cast(h, tf.float32)) for h in new_states]

    step.restore = lambda: [v.assign(t) for v, t in zip(variables, theta0, strict=True)]
    return step


def dynamic_char_bits(model, ids: np.ndarray, cfg: DynamicConfig, ms: list[tf.Tensor] | None = None,
                      progress: Callable[[int, int, float], None] | None = None) -> np.ndarray:
    """Bits for each predicted character of ``ids`` under dynamic evaluation.

    :func:`models.text.train.char_bits` with the adapting step: ``cfg.streams`` contiguous
    streams (the first character of each is not predicted), windows of ``cfg.seg_len``.
    The weights are restored before returning.

    Returns:
        shape ``(streams, n)``.
    """
    step = make_dynamic_step(model, cfg, ms)
    try:
        return char_bits(model, ids, batch=cfg.streams, seq_len=cfg.seg_len, eval_fn=step, progress=progress)
    finally:
        step.restore()


def dynamic_bpc(model, ids: np.ndarray, cfg: DynamicConfig, ms: list[tf.Tensor] | None = None,
                progress: Callable[[int, int, float], None] | None = None) -> tuple[float, int]:
    """Bits per character of ``ids`` under dynamic evaluation (:func:`dynamic_char_bits`).

    Returns:
        (bpc, number of characters predicted).
    """
    bits = dynamic_char_bits(model, ids, cfg, ms, progress)
    return float(bits.mean()), int(bits.size)
