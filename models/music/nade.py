"""RNN-NADE (Boulanger-Lewandowski et al. 2012) with an LSTM over time.

An LSTM reads the frames up to ``t``; its state sets the biases of a NADE
(Larochelle & Murray 2011) over the 88 keys of frame ``t + 1``, low key to high:

    b_v(t) = b_v + h_t U_v          (88,)   visible biases
    b_h(t) = b_h + h_t U_h          (H,)    NADE hidden biases
    a_i    = b_h(t) + sum_{j<i} v_j W_j     (H,)
    p(v_i = 1 | v_<i, frames <= t) = sigmoid(b_v(t)_i + V_i . sigmoid(a_i))

so the likelihood of a frame is exact (a product of 88 conditionals) and keys
inside a frame depend on each other (chords), unlike the independent Bernoulli
keys of the LSTM composer. Training is teacher forced: all 88 conditionals of
every frame come out of one pass, with an exclusive cumulative sum of
``v_j W_j`` over the keys (no loop). Sampling is exact ancestral sampling: a
``tf.range`` loop over time, and inside it a loop over the 88 keys, all in one
``tf.function``.

As for the LSTM composer, the model sees a silent frame before frame 0 (so it
learns how pieces begin) and the frame NLL counts frames 1..T-1. It trains
on the batches of ``models.music.batches.next_frame_epoch``, as the LSTM composer does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import keras
import numpy as np
import tensorflow as tf

from models.config import JsonConfig
from models.music import inference, training
from models.music.batches import next_frame_epoch
from models.music.datasets import NUM_KEYS

KIND = "nade"


@dataclass
class Config(JsonConfig):
    """Hyper-parameters of the LSTM-NADE (JSON-able)."""

    units: int = 384  # LSTM units per layer
    layers: int = 1
    nade_hidden: int = 150
    dropout: float = 0.4  # after each LSTM layer
    input_dropout: float = 0.0  # on the frames the LSTM reads
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    clip_norm: float = 1.0
    batch_size: int = 16
    window: int = 200  # training segment length in steps (longer pieces are split)
    max_epochs: int = 1000
    patience: int = 20
    lr_patience: int = 6  # halve the learning rate after this many epochs without progress (0: off)
    transpose: int = 6
    steps_per_beat: int = 1
    checkpoint_minutes: float = 5.0
    ema: float = 0.0  # decay of a moving average of the weights used for validation and shipping (0: off)

    TINY = {"units": 8, "nade_hidden": 6, "batch_size": 4, "window": 16, "max_epochs": 2, "patience": 1,
            "transpose": 2}


def config_for_genre(genre: str) -> Config:
    """Default sizes per genre: whole pieces for JSB, chunks for the long sets."""
    if genre == "chorale":
        return Config(units=384, nade_hidden=150, dropout=0.5, batch_size=16, window=200, transpose=6)
    if genre == "folk":
        return Config(units=384, nade_hidden=150, dropout=0.3, batch_size=32, window=128, transpose=4,
                      patience=8, steps_per_beat=2)
    return Config(units=384, nade_hidden=150, dropout=0.3, batch_size=32, window=128, transpose=4,
                  patience=6, steps_per_beat=2)


@keras.saving.register_keras_serializable(package="wikimuse")
class ConditionalNADE(keras.layers.Layer):
    """log p(v | h) of a NADE over ``keys`` binary units whose biases depend on ``h``.

    Inputs ``[h, v]``: ``h`` (..., units) conditioning state, ``v`` (..., keys)
    binary frame. Output: (...,) log-likelihood, natural log.
    """

    def __init__(self, keys: int = NUM_KEYS, hidden: int = 150, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys
        self.hidden = hidden

    def build(self, input_shape: Any) -> None:
        units = int(input_shape[0][-1])
        k, h = self.keys, self.hidden
        self.w = self.add_weight(name="w", shape=(k, h), initializer="glorot_uniform")  # v_j -> hidden
        self.v = self.add_weight(name="v", shape=(k, h), initializer="glorot_uniform")  # hidden -> logit_i
        self.b_v = self.add_weight(name="b_v", shape=(k,), initializer="zeros")
        self.b_h = self.add_weight(name="b_h", shape=(h,), initializer="zeros")
        self.u_v = self.add_weight(name="u_v", shape=(units, k), initializer="glorot_uniform")
        self.u_h = self.add_weight(name="u_h", shape=(units, h), initializer="glorot_uniform")

    def biases(self, h: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Conditional biases: (..., keys) visible, (..., hidden) NADE hidden."""
        return self.b_v + h @ self.u_v, self.b_h + h @ self.u_h

    def logits(self, h: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
        """Logits of all ``keys`` conditionals p(v_i | v_<i, h), teacher forced: (..., keys).

        ``a_i = b_h + sum_{j<i} v_j W_j`` only changes after an active key, so a
        frame with ``n`` notes has ``n + 1`` distinct hidden vectors ("segments"),
        and key ``i`` uses segment ``rank_i`` = number of active keys below it.
        Computing the segments (``n + 1`` rows, a few) instead of all 88 rows
        gives the same numbers as the dense cumulative sum for ~1/15 the work.
        """
        bv, bh = self.biases(h)  # (..., keys), (..., H)
        lead = tf.shape(v)[:-1]
        v2 = tf.reshape(v, (-1, self.keys))  # (N, keys), N = frames
        rank = tf.cumsum(v2, axis=-1, exclusive=True)  # (N, keys): active keys below i
        segments = tf.cast(tf.reduce_max(tf.reduce_sum(v2, axis=-1)), tf.int32) + 1
        s = tf.cast(tf.range(segments), v.dtype)  # (S,)
        # select[n, s, j] = 1 when key j is active and among the first s active keys
        select = v2[:, None, :] * tf.cast(rank[:, None, :] < s[:, None], v.dtype)  # (N, S, keys)
        a = tf.reshape(tf.reshape(select, (-1, self.keys)) @ self.w, (-1, segments, self.hidden))
        a = a + tf.reshape(bh, (-1, 1, self.hidden))  # (N, S, H)
        per_segment = tf.reshape(tf.sigmoid(tf.reshape(a, (-1, self.hidden))) @ tf.transpose(self.v),
                                 (-1, segments, self.keys))  # (N, S, keys)
        pick = tf.one_hot(tf.cast(rank, tf.int32), segments, axis=1, dtype=v.dtype)  # (N, S, keys)
        picked = tf.reduce_sum(per_segment * pick, axis=1)  # (N, keys)
        return bv + tf.reshape(picked, tf.concat([lead, [self.keys]], 0))

    def dense_logits(self, h: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
        """The textbook form of :meth:`logits` (exclusive cumulative sum over all keys), for tests."""
        bv, bh = self.biases(h)
        a = bh[..., None, :] + tf.cumsum(v[..., :, None] * self.w, axis=-2, exclusive=True)  # (..., keys, H)
        return bv + tf.reduce_sum(tf.sigmoid(a) * self.v, axis=-1)

    def call(self, inputs: Sequence[tf.Tensor]) -> tf.Tensor:
        h, v = inputs
        v = tf.cast(v, self.compute_dtype)
        xent = tf.nn.sigmoid_cross_entropy_with_logits(labels=v, logits=self.logits(h, v))
        return -tf.reduce_sum(xent, axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[1][:-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "keys": self.keys, "hidden": self.hidden}


def build_model(config: Config) -> keras.Model:
    """[context (B, T, 88), frames (B, T, 88)] -> log p(frames_t | context_<=t) (B, T).

    ``context[t]`` is the frame before ``frames[t]`` (silence before the first).
    """
    context = keras.Input((None, NUM_KEYS), name="context")
    frames = keras.Input((None, NUM_KEYS), name="frames")
    x = context
    if config.input_dropout > 0:
        x = keras.layers.Dropout(config.input_dropout, name="input_dropout")(x)
    for i in range(1, config.layers + 1):
        x = keras.layers.LSTM(config.units, return_sequences=True, name=f"lstm_{i}")(x)
        x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    logp = ConditionalNADE(NUM_KEYS, config.nade_hidden, name="nade")([x, frames])  # (B, T)
    return keras.Model([context, frames], logp, name="lstm_nade")


# ---------------------------------------------------------------------------
# Training and the exact NLL


def _loss(model: keras.Model, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    context, frames, mask = batch
    logp = model([context, frames], training=training)  # (B, T)
    return -tf.reduce_sum(logp * mask), tf.reduce_sum(mask)


def frame_nll(
    model: keras.Model, config: Config, rolls: Sequence[np.ndarray], batch_size: int = 16, *, start: int = 1
) -> dict[str, Any]:
    """Exact frame NLL: frames 1..T-1 of each piece given the frames before.

    Natural log, summed over the split and divided by the number of predicted frames.
    ``start`` > 1 scores only frames ``start..T-1`` (still given every frame before them).
    """
    return inference.next_frame_nll(model, _loss, rolls, batch_size, start)


def fit(model: keras.Model, config: Config, train_rolls: Sequence[np.ndarray], valid_rolls: Sequence[np.ndarray],
        **run: Unpack[training.RunOptions]) -> dict[str, Any]:
    """Maximum likelihood with Adam, transposition and dropout, valid early stopping."""
    return training.train_loop(model, config, train_rolls, valid_rolls, make_epoch=next_frame_epoch,
                               loss_fn=_loss, nll_fn=frame_nll, **run)


# ---------------------------------------------------------------------------
# Exact ancestral sampling: one tf.function, loop over time, inner loop over keys


def sample_frame(
    nade: ConditionalNADE, h: tf.Tensor, temperature: tf.Tensor, seed: tf.Tensor
) -> tf.Tensor:
    """Draw one frame (1, keys) from the NADE given the state ``h`` (1, units).

    Key ``i`` is drawn from sigmoid(logit_i / temperature) after keys ``< i``;
    the uniforms come from a stateless RNG with ``seed`` (2,) int64.
    """
    bv, bh = nade.biases(h)  # (1, keys), (1, H)
    u = tf.random.stateless_uniform((nade.keys,), seed=seed)
    w = tf.convert_to_tensor(nade.w)
    v_w = tf.convert_to_tensor(nade.v)
    bv = bv[0]
    a = bh[0]  # (H,)
    out = tf.TensorArray(tf.float32, size=nade.keys)
    for i in tf.range(nade.keys):
        logit = bv[i] + tf.reduce_sum(v_w[i] * tf.sigmoid(a))
        key = tf.cast(u[i] < tf.sigmoid(logit / temperature), tf.float32)
        a = a + key * w[i]
        out = out.write(i, key)
    return out.stack()[None, :]  # (1, keys)


@inference.per_model
def _generator(model: keras.Model) -> Callable:
    cells = []
    i = 1
    while True:
        try:
            cells.append(model.get_layer(f"lstm_{i}").cell)
        except ValueError:
            break
        i += 1
    nade = model.get_layer("nade")
    shapes = [(1, cells[0].units)] * (2 * len(cells))

    def step(x, states):
        new_states = []
        for j, cell in enumerate(cells):
            x, (hs, cs) = cell(x, states[2 * j : 2 * j + 2], training=False)
            new_states += [tf.ensure_shape(hs, shapes[0]), tf.ensure_shape(cs, shapes[0])]
        return x, new_states

    # One time step (LSTM, then 88 keys) compiled by XLA: the many tiny ops of the key
    # loop fuse into one kernel, ~10x faster on CPU than the graph executor.
    @tf.function(jit_compile=True)
    def sample_step(x, states, temperature, seed):
        h, states = step(x, states)
        return sample_frame(nade, h, temperature, seed), states

    def draw(x, states, temperature, seed, t):
        return sample_step(x, states, temperature, tf.stack([seed, tf.cast(t, tf.int64)]))

    return inference.sampler(inference.teacher_forced(lambda x, states: step(x, states)[1], shapes), draw, shapes)


def generate(model: keras.Model, config: Config, steps: int, *, temperature: float = 1.0, seed: int = 0,
             primer: np.ndarray | None = None) -> np.ndarray:
    """Sample ``steps`` new frames, (steps, 88) uint8; the same seed gives the same clip.

    Args:
        steps: length in grid steps.
        temperature: divides each key's logit before its sigmoid (> 0).
        seed: any int; drives a stateless RNG.
        primer: optional (P, 88) roll the LSTM reads before composing.
    """
    return inference.run_sampler(lambda: _generator(model), inference.prepare_primer(primer), steps, steps,
                                 temperature, seed)
