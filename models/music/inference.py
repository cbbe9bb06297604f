"""What the music models share once trained: compiled functions per model, scoring, sampling.

* :func:`per_model`: the one cache of compiled ``tf.function``s, built once per model
  (and key) and dropped with the model.
* :func:`summed_nll` and :func:`next_frame_nll`: the frame-NLL loop over scoring batches.
* :func:`sampler`, :func:`teacher_forced` and :func:`run_sampler`: the generation harness.
  A model supplies how it starts (``init``) and how it draws one frame (``draw``); the
  loop over steps runs inside one ``tf.function`` whose signature,
  ``(first (P, 88), count, temperature, seed)``, is the same for every model.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from models.music.batches import scoring_batches
from models.music.datasets import NUM_KEYS

# model -> {(getter, *key): compiled function}; an entry goes when its model does.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def per_model(build: Callable[..., Callable]) -> Callable[..., Callable]:
    """Decorator: ``build(model, *key)`` runs once per model and key, later calls get its result.

    For functions that make a ``tf.function`` over a model's layers, so that it is traced
    once however often the model samples or scores.
    """

    @functools.wraps(build)
    def get(model: keras.Model, *key: Hashable) -> Callable:
        built = _COMPILED.setdefault(model, {})
        if (get, *key) not in built:
            built[(get, *key)] = build(model, *key)
        return built[(get, *key)]

    return get


def has_compiled(model: keras.Model, getter: Callable) -> bool:
    """True once ``getter`` (a :func:`per_model` function) has built something for ``model``."""
    return any(key[0] is getter for key in _COMPILED.get(model, {}))


# ---------------------------------------------------------------------------
# Scoring


@per_model
def nll_function(model: keras.Model, loss: Callable) -> Callable:
    """``tf.function(*batch) -> (summed loss, frames)``: ``loss(model, batch, training=False)``."""

    @tf.function(reduce_retracing=True)
    def run(*batch):
        return loss(model, batch, False)

    return run


def summed_nll(run: Callable, batches: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """``{"nll", "frames", "estimate": False}``: the sum of ``run(*batch)`` losses over the
    batches divided by the sum of their frame counts (natural log, per frame)."""
    total, frames = 0.0, 0
    for batch in batches:
        s, n = run(*batch)
        total += float(s)
        frames += int(round(float(n)))
    return {"nll": total / max(frames, 1), "frames": frames, "estimate": False}


def next_frame_nll(
    model: keras.Model, loss: Callable, rolls: Sequence[np.ndarray], batch_size: int, start: int
) -> dict[str, Any]:
    """Frame NLL of a next-frame model: ``loss`` over the ``scoring_batches`` of ``rolls``,
    frames ``start..T-1`` of each piece given every frame before them."""
    return summed_nll(nll_function(model, loss), scoring_batches(rolls, batch_size, start))


# ---------------------------------------------------------------------------
# Sampling


def sample_keys(logits: tf.Tensor, temperature: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Independent Bernoulli draw per key from logits / temperature; (1, 88) float32."""
    probs = tf.sigmoid(logits / temperature)
    u = tf.random.stateless_uniform(tf.shape(probs), seed=seed)
    return tf.cast(u < probs, tf.float32)


def signature(first_steps: int | None = None) -> list[tf.TensorSpec]:
    """Input signature of a sampler: what it reads first ``(first_steps, 88)``, its loop count,
    the temperature and the seed."""
    return [
        tf.TensorSpec([first_steps, NUM_KEYS], tf.float32),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([], tf.float32),
        tf.TensorSpec([], tf.int64),
    ]


def sampler(init: Callable, draw: Callable, state_shapes: Sequence[tuple[int, ...]]) -> Callable:
    """The ``tf.function(primer, steps, temperature, seed) -> (steps, 88)`` of a frame-by-frame model.

    Args:
        init: ``init(primer) -> (x, states)``: the first input frame (1, 88) and the state
            after reading the primer (see :func:`teacher_forced`).
        draw: ``draw(x, states, temperature, seed, t) -> (frame (1, 88), states)``: step ``t``
            from the input ``x``, with the caller's ``seed`` (a scalar int64).
        state_shapes: the static shape of each state tensor.
    """

    def fix(states):
        return [tf.ensure_shape(s, shape) for s, shape in zip(states, state_shapes, strict=True)]

    @tf.function(input_signature=signature())
    def run(primer, steps, temperature, seed):
        x, states = init(primer)
        states = fix(states)
        out = tf.TensorArray(tf.float32, size=steps)
        for t in tf.range(steps):
            x, states = draw(x, states, temperature, seed, t)
            x = tf.ensure_shape(x, (1, NUM_KEYS))
            states = fix(states)
            out = out.write(t, x[0])
        return out.stack()  # (steps, 88)

    return run


def teacher_forced(read: Callable, state_shapes: Sequence[tuple[int, ...]]) -> Callable:
    """An ``init`` for :func:`sampler`: zero states, then ``states = read(x, states)`` over the
    silent start frame and the primer but its last frame, which is the first input."""

    def init(primer):
        states = [tf.zeros(shape) for shape in state_shapes]
        x = tf.zeros((1, NUM_KEYS))  # the silent start frame
        for t in tf.range(tf.shape(primer)[0]):  # read the primer (teacher forcing)
            states = [tf.ensure_shape(s, shape) for s, shape in zip(read(x, states), state_shapes, strict=True)]
            x = primer[t][None, :]
        return x, states

    return init


def prepare_primer(primer: np.ndarray | None) -> np.ndarray:
    """Primer as (P, 88) float32 (P may be 0); clips to 0/1 and checks the width."""
    if primer is None:
        return np.zeros((0, NUM_KEYS), np.float32)
    primer = np.asarray(primer)
    if primer.ndim != 2 or primer.shape[1] != NUM_KEYS:
        raise ValueError(f"primer must be (P, {NUM_KEYS}), got {primer.shape}")
    return (primer > 0).astype(np.float32)


def run_sampler(
    make: Callable[[], Callable], first: np.ndarray, count: int, steps: int, temperature: float, seed: int
) -> np.ndarray:
    """Call a compiled sampler ``make()(first, count, temperature, seed)`` and return its first
    ``steps`` frames as (steps, 88) uint8; the argument checks and conversions every music model's
    ``generate`` shares.

    Args:
        make: returns the ``tf.function`` (called only when there is something to sample).
        first: what the sampler reads before sampling (a primer or a clamped context), (P, 88).
        count: the sampler's loop count (steps, or windows for the window RBM).
        steps: how many frames the caller asked for.
        temperature: must be > 0.
        seed: any int.
    """
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    if steps <= 0:
        return np.zeros((0, NUM_KEYS), np.uint8)
    out = make()(
        tf.constant(first, tf.float32),
        tf.constant(int(count), tf.int32),
        tf.constant(float(temperature), tf.float32),
        tf.constant(int(seed), tf.int64),
    )
    return out.numpy()[:steps].astype(np.uint8)
