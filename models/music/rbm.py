"""The RBM composer of the seed video (003): a restricted Boltzmann machine over windows.

The visible layer is a window of ``window`` piano-roll steps x 88 keys, flattened
(``window * 88`` binary units); the hidden layer has ``hidden`` binary units. It is
trained with contrastive divergence (CD-k): the update is the gradient of
``F(v_data) - F(v_k)``, where ``F`` is the free energy and ``v_k`` the end of a
k-step Gibbs chain started at the data (held constant). Adam applies it.

Generation chains windows: each new window clamps its first ``overlap`` steps to
the last steps of the previous window and Gibbs-samples the rest, so a clip of
any length comes out of one ``tf.function`` (a loop over windows, an inner loop
over Gibbs steps).

Likelihood: given the ``window - 1`` steps before it, the next frame's
distribution is itself an RBM over 88 keys (the clamped part folds into the
hidden biases), whose partition function is estimated with AIS
(``models.music.ais``); ``frame_nll`` reports that estimate with
``"estimate": True``. Pieces start after ``window - 1`` silent steps.

The primitives here (free energy, Gibbs steps, the CD loss) and the AIS-kind helpers
(``ais_nll``, ``subset_nll``, ``with_full_estimates``) are shared with the RNN-RBM
(``models.music.rnn_rbm``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import keras
import numpy as np
import tensorflow as tf

from models.config import JsonConfig
from models.music import ais, inference, training
from models.music.datasets import NUM_KEYS
from models.music.pianoroll import random_transpose

KIND = "rbm"


@dataclass
class Config(JsonConfig):
    """Hyper-parameters of the window RBM (JSON-able)."""

    window: int = 8  # steps per visible window
    hidden: int = 256
    cd_k: int = 5  # Gibbs steps of contrastive divergence
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    clip_norm: float = 0.0
    batch_size: int = 128  # windows per update
    max_epochs: int = 200
    patience: int = 6
    transpose: int = 4
    steps_per_beat: int = 1
    overlap: int = -1  # generation: clamped steps per window (-1: window - 1, one new step each)
    gibbs_steps: int = 25  # generation: Gibbs sweeps per window
    ais_chains: int = 4  # frame_nll
    ais_betas: int = 100
    ais_max_frames: int = 2000  # frame_nll scores an evenly spaced subset of longer splits
    valid_frames: int = 500  # frames of the validation subset scored each epoch
    valid_betas: int = 50
    checkpoint_minutes: float = 5.0

    TINY = {"window": 3, "hidden": 8, "cd_k": 1, "batch_size": 16, "max_epochs": 2, "patience": 1,
            "transpose": 2, "gibbs_steps": 3, "ais_chains": 2, "ais_betas": 10, "valid_frames": 40,
            "valid_betas": 5}


def config_for_genre(genre: str) -> Config:
    """Wider windows on the finer grids (eighths, sixteenths)."""
    if genre == "chorale":
        return Config(window=4, hidden=256)
    if genre in ("jazz", "ragtime"):  # sixteenths: 320+ steps per 30 s, so 4 new steps per window
        return Config(window=8, hidden=256, patience=4, overlap=4)
    return Config(window=8, hidden=256, patience=4)


# ---------------------------------------------------------------------------
# RBM primitives (shared with the RNN-RBM)


def free_energy(v: tf.Tensor, w: tf.Tensor, b_v: tf.Tensor, b_h: tf.Tensor) -> tf.Tensor:
    """F(v) = -b_v.v - sum_j softplus((v W + b_h)_j); ``v`` (N, V), biases (N or 1, .) -> (N,)."""
    return -tf.reduce_sum(b_v * v, axis=-1) - tf.reduce_sum(tf.math.softplus(v @ w + b_h), axis=-1)


def gibbs_step(
    v: tf.Tensor,
    w: tf.Tensor,
    b_v: tf.Tensor,
    b_h: tf.Tensor,
    seed: tf.Tensor,
    temperature: tf.Tensor | float = 1.0,
    clamp: tf.Tensor | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """One sweep v -> h -> v at ``temperature`` (energies divided by it).

    ``clamp`` (same shape as ``v`` or broadcastable) marks visible units kept at
    their value. Returns (binary v, its probabilities). ``seed`` is (2,) int.
    """
    x = (v @ w + b_h) / temperature
    h = tf.cast(tf.random.stateless_uniform(tf.shape(x), seed=seed) < tf.sigmoid(x), v.dtype)
    p = tf.sigmoid((tf.matmul(h, w, transpose_b=True) + b_v) / temperature)
    seed_v = seed + tf.constant([0, 1 << 30], seed.dtype)
    new = tf.cast(tf.random.stateless_uniform(tf.shape(p), seed=seed_v) < p, v.dtype)
    if clamp is not None:
        new = clamp * v + (1.0 - clamp) * new
    return new, p


def gibbs_sweeps(
    v: tf.Tensor,
    w: tf.Tensor,
    b_v: tf.Tensor,
    b_h: tf.Tensor,
    sweeps: int | tf.Tensor,
    seed: tf.Tensor,
    temperature: tf.Tensor | float = 1.0,
) -> tf.Tensor:
    """``sweeps`` Gibbs sweeps from ``v`` (1, V) at ``temperature``, for generation.

    Draws every uniform up front (two RNG calls instead of two per sweep): in a
    loop of a few thousand tiny sweeps the RNG calls are most of the cost.
    """
    u_h = tf.random.stateless_uniform(tf.stack([sweeps, tf.shape(w)[1]]), seed=seed)
    u_v = tf.random.stateless_uniform(tf.stack([sweeps, tf.shape(w)[0]]),
                                      seed=seed + tf.constant([0, 1 << 30], seed.dtype))
    for s in tf.range(sweeps):
        h = tf.cast(u_h[s][None, :] < tf.sigmoid((v @ w + b_h) / temperature), v.dtype)
        p = tf.sigmoid((tf.matmul(h, w, transpose_b=True) + b_v) / temperature)
        v = tf.cast(u_v[s][None, :] < p, v.dtype)
    return v


def gibbs_chain(v: tf.Tensor, w: tf.Tensor, b_v: tf.Tensor, b_h: tf.Tensor, k: int, seed: tf.Tensor) -> tf.Tensor:
    """``k`` Gibbs sweeps from ``v`` (CD-k negative sample)."""
    for i in range(k):  # k is small and fixed: unrolled
        v, _ = gibbs_step(v, w, b_v, b_h, seed + tf.constant([0, 2], seed.dtype) * i)
    return v


def cd_loss(v: tf.Tensor, w: tf.Tensor, b_v: tf.Tensor, b_h: tf.Tensor, k: int, seed: tf.Tensor) -> tf.Tensor:
    """Per-example F(v) - F(v_k) with v_k held constant: its gradient is the CD-k update."""
    v_k = tf.stop_gradient(gibbs_chain(tf.stop_gradient(v), w, b_v, b_h, k, seed))
    return free_energy(v, w, b_v, b_h) - free_energy(v_k, w, b_v, b_h)


def training_seed() -> tf.Tensor:
    """A (2,) int64 stateless seed from TensorFlow's global RNG (seeded per epoch by the loop)."""
    return tf.random.uniform((2,), maxval=2**31 - 1, dtype=tf.int64)


# ---------------------------------------------------------------------------
# The model


@keras.saving.register_keras_serializable(package="wikimuse")
class RBM(keras.layers.Layer):
    """Binary RBM with ``visible`` and ``hidden`` units; ``call(v)`` is the free energy (N,)."""

    def __init__(self, visible: int = 8 * NUM_KEYS, hidden: int = 256, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.visible = visible
        self.hidden = hidden

    def build(self, input_shape: Any) -> None:
        self.w = self.add_weight(name="w", shape=(self.visible, self.hidden),
                                 initializer=keras.initializers.RandomNormal(stddev=0.01))
        self.b_v = self.add_weight(name="b_v", shape=(self.visible,), initializer="zeros")
        self.b_h = self.add_weight(name="b_h", shape=(self.hidden,), initializer="zeros")

    def call(self, v: tf.Tensor) -> tf.Tensor:
        return free_energy(tf.cast(v, self.compute_dtype), self.w, self.b_v, self.b_h)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[:-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "visible": self.visible, "hidden": self.hidden}


def build_model(config: Config) -> keras.Model:
    """Windows (B, window * 88) -> free energy (B,)."""
    v = keras.Input((config.window * NUM_KEYS,), name="window")
    energy = RBM(config.window * NUM_KEYS, config.hidden, name="rbm")(v)
    return keras.Model(v, energy, name="rbm_composer")


def _rbm(model: keras.Model) -> RBM:
    return model.get_layer("rbm")


def padded(roll: np.ndarray, window: int) -> np.ndarray:
    """(T, 88) -> (window - 1 + T, 88): silence before the piece, so every frame has a full context."""
    return np.concatenate([np.zeros((window - 1, NUM_KEYS), roll.dtype), roll], axis=0)


def windows_of(roll: np.ndarray, window: int) -> np.ndarray:
    """Every window of the padded piece, flattened: (T, window * 88) uint8; row t ends at frame t."""
    p = padded(roll, window)
    idx = np.arange(roll.shape[0])[:, None] + np.arange(window)[None, :]
    return p[idx].reshape(roll.shape[0], window * NUM_KEYS)


# ---------------------------------------------------------------------------
# Training


def _rbm_epoch(rolls: Sequence[np.ndarray], config: Config, rng: np.random.Generator) -> list[tuple]:
    data = np.concatenate(
        [windows_of(random_transpose(r, config.transpose, rng), config.window) for r in rolls]
    ).astype(np.float32)
    data = data[rng.permutation(len(data))]
    return [(data[i : i + config.batch_size],) for i in range(0, len(data), config.batch_size)]


def _rbm_loss(model: keras.Model, batch: tuple, training: bool, *, k: int) -> tuple[tf.Tensor, tf.Tensor]:
    (v,) = batch
    rbm = _rbm(model)
    loss = cd_loss(v, rbm.w, rbm.b_v, rbm.b_h, k, training_seed())  # (B,)
    return tf.reduce_sum(loss), tf.cast(tf.shape(v)[0], tf.float32)


def frame_nll(model: keras.Model, config: Config, rolls: Sequence[np.ndarray], *, max_frames: int | None = None,
              betas: int | None = None, seed: int = 0, start: int = 1) -> dict[str, Any]:
    """AIS estimate of the frame NLL (frames 1..T-1, natural log, per frame).

    ``log p(v_t | v_{t-window+1..t-1}) = -F_t(v_t) - log Z_t``, where the conditional RBM
    ``t`` has the last 88 visible units, hidden biases ``b_h + context W_context``
    and ``log Z_t`` comes from AIS. ``max_frames`` scores an evenly spaced subset;
    ``start`` > 1 scores only frames ``start..T-1``.
    """
    if start < 1:
        raise ValueError("start must be >= 1: frame 0 has no frame before it")
    rbm = _rbm(model)
    n = config.window
    w = rbm.w.numpy()
    w_ctx, w_last = w[: (n - 1) * NUM_KEYS], w[(n - 1) * NUM_KEYS :]
    b_v_last = rbm.b_v.numpy()[(n - 1) * NUM_KEYS :]
    # (piece, frame) pairs of the predicted frames, subsampled before building windows
    pairs = np.array([(i, t) for i, r in enumerate(rolls) for t in range(start, r.shape[0])], np.int64).reshape(-1, 2)
    total_frames = len(pairs)
    pairs = pairs[evenly_spaced(total_frames, max_frames or config.ais_max_frames)]
    rows = np.zeros((len(pairs), n * NUM_KEYS), np.float32)
    for row, (i, t) in enumerate(pairs):
        rows[row] = padded(rolls[i][max(0, t - n + 1) : t + 1], n)[-n:].reshape(-1)
    ctx, last = rows[:, : (n - 1) * NUM_KEYS], rows[:, (n - 1) * NUM_KEYS :]
    b_h = ctx @ w_ctx + rbm.b_h.numpy()  # (N, H)
    b_v = np.broadcast_to(b_v_last, last.shape)
    f = -(last @ b_v_last) - np.logaddexp(0.0, last @ w_last + b_h).sum(axis=1)
    return ais_nll(f, w_last, b_v, b_h, config, frames_total=total_frames, betas=betas, seed=seed)


def evenly_spaced(count: int, most: int | None) -> slice | np.ndarray:
    """Indices of at most ``most`` of ``count`` items, evenly spaced (all of them when fewer)."""
    if most and count > most:
        return np.linspace(0, count - 1, most).astype(int)
    return slice(None)


def ais_nll(f: np.ndarray, w: np.ndarray, b_v: np.ndarray, b_h: np.ndarray, config: Any, *, frames_total: int,
            betas: int | None, seed: int) -> dict[str, Any]:
    """The frame NLL of an AIS kind: ``F_t(v_t) + log Z_t`` averaged over frames, with ``log Z_t``
    the AIS estimate of RBM ``t`` (weights ``w``, biases ``b_v[t]``, ``b_h[t]``), ``config.ais_chains``
    chains and ``betas`` (default ``config.ais_betas``) inverse temperatures."""
    n_betas = int(betas or config.ais_betas)
    nll = f + ais.ais_log_partition(w, b_v, b_h, chains=config.ais_chains, betas=n_betas, seed=seed)
    return {"nll": float(nll.mean()) if len(nll) else math.nan, "frames": int(len(nll)), "estimate": True,
            "frames_total": frames_total, "ais_chains": config.ais_chains, "ais_betas": n_betas}


def fit(model: keras.Model, config: Config, train_rolls: Sequence[np.ndarray], valid_rolls: Sequence[np.ndarray],
        **run: Unpack[training.RunOptions]) -> dict[str, Any]:
    """CD-k with Adam (tqdm bar), early stopping on a cheap AIS estimate of a valid subset.

    The returned ``valid_nll`` and ``train_nll`` are then re-estimated with the full
    AIS schedule (on the whole valid split and on a train subset).
    """
    metrics = training.train_loop(model, config, train_rolls, valid_rolls, make_epoch=_rbm_epoch,
                                  loss_fn=functools.partial(_rbm_loss, k=config.cd_k),
                                  nll_fn=subset_nll(frame_nll), **run)
    return with_full_estimates(metrics, frame_nll, model, config, train_rolls, valid_rolls)


def subset_nll(frame_nll: Callable) -> Callable:
    """The early-stopping figure of an AIS kind: its ``frame_nll`` on ``config.valid_frames``
    frames with ``config.valid_betas`` betas (cheap, and biased: never a reported figure)."""

    def nll(model: keras.Model, config: Any, rolls: Sequence[np.ndarray]) -> dict[str, Any]:
        return frame_nll(model, config, rolls, max_frames=config.valid_frames, betas=config.valid_betas)

    return nll


def len_frames(rolls: Sequence[np.ndarray]) -> int:
    return int(sum(max(r.shape[0] - 1, 0) for r in rolls))


def with_full_estimates(metrics: dict[str, Any], frame_nll: Callable, model: keras.Model, config: Any,
                        train_rolls: Sequence[np.ndarray], valid_rolls: Sequence[np.ndarray]) -> dict[str, Any]:
    """``metrics`` of :func:`training.train_loop` with the early-stopping proxies replaced by
    full AIS estimates: of the whole valid split, and of as many train frames as it has."""
    valid = frame_nll(model, config, valid_rolls)
    train = frame_nll(model, config, train_rolls, max_frames=min(config.ais_max_frames, len_frames(valid_rolls)))
    metrics["valid_nll_subset"] = metrics["valid_nll"]
    metrics["valid_nll"] = valid["nll"]
    metrics["train_nll"] = train["nll"]
    metrics["gap"] = valid["nll"] - train["nll"]
    metrics["estimate"] = True
    metrics["ais_chains"] = valid.get("ais_chains")
    metrics["ais_betas"] = valid.get("ais_betas")
    return metrics


# ---------------------------------------------------------------------------
# Generation: windows chained by clamping, all in one tf.function


@inference.per_model
def _generator(model: keras.Model, window: int, overlap: int, sweeps: int) -> Callable:
    rbm = _rbm(model)
    fresh = window - overlap  # new steps per window

    # One window's Gibbs sweeps, compiled by XLA (the many tiny ops fuse). Clamping the
    # first `overlap` steps to the context is the same as adding their input to the
    # hidden biases and sampling only the free steps: a (fresh * 88)-unit RBM.
    @tf.function(jit_compile=True)
    def sample_window(ctx, temperature, seed):
        w_ctx, w_free = rbm.w[: overlap * NUM_KEYS], rbm.w[overlap * NUM_KEYS :]
        b_h = rbm.b_h + ctx @ w_ctx  # (1, H)
        v = tf.zeros((1, fresh * NUM_KEYS))  # free steps start silent
        v = gibbs_sweeps(v, w_free, rbm.b_v[overlap * NUM_KEYS :], b_h, sweeps, seed, temperature)
        return tf.concat([ctx, v], axis=1)

    @tf.function(input_signature=inference.signature(overlap))
    def run(context, windows, temperature, seed):
        ctx = tf.reshape(context, (1, overlap * NUM_KEYS))
        out = tf.TensorArray(tf.float32, size=windows)
        for i in tf.range(windows):
            v = sample_window(ctx, temperature, tf.stack([seed, tf.cast(i, tf.int64) * 65536]))
            v = tf.ensure_shape(v, (1, window * NUM_KEYS))
            out = out.write(i, tf.reshape(v[:, overlap * NUM_KEYS :], (fresh, NUM_KEYS)))
            ctx = v[:, fresh * NUM_KEYS :]  # the last `overlap` steps clamp the next window
        return tf.reshape(out.stack(), (-1, NUM_KEYS))

    return run


def generate(model: keras.Model, config: Config, steps: int, *, temperature: float = 1.0, seed: int = 0,
             primer: np.ndarray | None = None) -> np.ndarray:
    """Sample ``steps`` new frames, (steps, 88) uint8, by chaining Gibbs-sampled windows.

    Args:
        steps: length in grid steps.
        temperature: divides the energies in every Gibbs sweep (> 0).
        seed: any int; the same seed gives the same clip.
        primer: optional (P, 88) roll; its last steps clamp the first window.
    """
    overlap = config.overlap if 0 <= config.overlap < config.window else config.window - 1
    context = padded(inference.prepare_primer(primer), overlap + 1)[-overlap:] if overlap else np.zeros((0, NUM_KEYS))
    fresh = config.window - overlap
    windows = max(0, -(-int(steps) // fresh))
    return inference.run_sampler(lambda: _generator(model, config.window, overlap, config.gibbs_steps),
                                 context, windows, steps, temperature, seed)
