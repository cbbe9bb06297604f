"""RNN-RBM (Boulanger-Lewandowski et al. 2012): a GRU whose state sets the biases of a per-step RBM.

At step ``t`` the GRU has read frames ``< t``; its state ``u`` gives the RBM
over the 88 keys of frame ``t`` its biases

    b_v(t) = b_v + u U_v,   b_h(t) = b_h + u U_h,   weights W (88, H) shared over time,

so each frame is drawn from an RBM (chords with correlated keys) whose shape
follows the music so far. Training is CD-k through time as in the paper: the
cost is ``sum_t F_t(v_t) - F_t(v_t^k)`` with ``v_t^k`` the end of a k-step Gibbs
chain of RBM ``t`` started at ``v_t`` and held constant, so its gradient is the
CD update of ``W`` and of the biases, back-propagated into the GRU. The paper
uses a plain RNN and SGD; a GRU and Adam converge faster here.

``pretrain_epochs`` first trains the recurrent part alone, as the paper did:
with ``W = 0`` the visible marginal of each RBM is exactly independent
Bernoulli keys with logits ``b_v(t)``, so binary cross-entropy on ``b_v`` is the
exact NLL (no CD noise, no AIS). ``W`` then starts from small random values
and CD-k learns the correlations between keys.

The NLL needs each RBM's partition function: ``frame_nll`` reports the
annealed-importance-sampling estimate (``models.music.ais``), labelled
``"estimate": True``, as the paper did. Generation runs ``gibbs_steps`` sweeps
per frame, from silence, inside one ``tf.function``.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import keras
import numpy as np
import tensorflow as tf

from models.config import JsonConfig
from models.music import inference, training
from models.music import rbm as rbm_mod
from models.music.batches import next_frame_epoch, scoring_batches
from models.music.datasets import NUM_KEYS

KIND = "rnn_rbm"


@dataclass
class Config(JsonConfig):
    """Hyper-parameters of the RNN-RBM (JSON-able)."""

    units: int = 256  # GRU units
    hidden: int = 150  # RBM hidden units
    dropout: float = 0.3
    cd_k: int = 15
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    clip_norm: float = 1.0
    batch_size: int = 16
    window: int = 128
    max_epochs: int = 500
    patience: int = 8
    lr_patience: int = 0  # halve the learning rate after this many epochs without progress (0: off)
    ema: float = 0.0  # decay of a moving average of the weights used for validation and shipping (0: off)
    # Epochs of exact-likelihood pretraining of the GRU with W = 0 before CD-k (the paper's recipe):
    # with no weights the RBM of each frame is independent keys with logits b_v(t).
    pretrain_epochs: int = 0
    transpose: int = 6
    steps_per_beat: int = 1
    gibbs_steps: int = 25  # generation: Gibbs sweeps per frame
    ais_chains: int = 4
    ais_betas: int = 1000  # 100 underestimates log Z of trained models by ~0.2 nats (docs)
    ais_max_frames: int = 2000  # frame_nll scores an evenly spaced subset of longer splits
    valid_frames: int = 1000
    valid_betas: int = 300  # 50 flatters trained weights by ~0.5 nats: early stopping would pick by AIS bias
    checkpoint_minutes: float = 5.0

    TINY = {"units": 8, "hidden": 6, "cd_k": 2, "batch_size": 4, "window": 16, "max_epochs": 2, "patience": 1,
            "transpose": 2, "gibbs_steps": 3, "ais_chains": 2, "ais_betas": 10, "valid_frames": 40,
            "valid_betas": 5}


def config_for_genre(genre: str) -> Config:
    if genre == "chorale":
        return Config()
    return Config(transpose=4, batch_size=32, patience=4)


@keras.saving.register_keras_serializable(package="wikimuse")
class ConditionalRBM(keras.layers.Layer):
    """RBM over ``keys`` visible units whose biases are set by a state; ``call(u)`` -> [b_v(t), b_h(t)]."""

    def __init__(self, keys: int = NUM_KEYS, hidden: int = 150, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys
        self.hidden = hidden

    def build(self, input_shape: Any) -> None:
        units = int(input_shape[-1])
        self.w = self.add_weight(name="w", shape=(self.keys, self.hidden),
                                 initializer=keras.initializers.RandomNormal(stddev=0.01))
        self.b_v = self.add_weight(name="b_v", shape=(self.keys,), initializer="zeros")
        self.b_h = self.add_weight(name="b_h", shape=(self.hidden,), initializer="zeros")
        self.u_v = self.add_weight(name="u_v", shape=(units, self.keys), initializer="glorot_uniform")
        self.u_h = self.add_weight(name="u_h", shape=(units, self.hidden), initializer="glorot_uniform")

    def call(self, u: tf.Tensor) -> list[tf.Tensor]:
        return [self.b_v + u @ self.u_v, self.b_h + u @ self.u_h]

    def compute_output_shape(self, input_shape: Any) -> list[tuple]:
        lead = tuple(input_shape[:-1])
        return [(*lead, self.keys), (*lead, self.hidden)]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "keys": self.keys, "hidden": self.hidden}


def build_model(config: Config) -> keras.Model:
    """context (B, T, 88) -> [b_v (B, T, 88), b_h (B, T, H)] of the RBM of each next frame."""
    context = keras.Input((None, NUM_KEYS), name="context")
    x = keras.layers.GRU(config.units, return_sequences=True, name="gru")(context)
    x = keras.layers.Dropout(config.dropout, name="dropout")(x)
    b_v, b_h = ConditionalRBM(NUM_KEYS, config.hidden, name="rbm")(x)
    return keras.Model(context, [b_v, b_h], name="rnn_rbm")


def widen(model: keras.Model, config: Config, hidden: int, *, stddev: float = 0.0, seed: int = 0) -> keras.Model:
    """A copy of a trained model whose RBMs have ``hidden`` hidden units (at least ``config.hidden``).

    The new units get weights ``N(0, stddev)`` (0: exactly zero), hidden bias 0 and fresh
    ``U_h`` columns. With zero weights a new unit only adds ``softplus(b_h(t)_j)`` to every
    configuration's log-probability, so each frame's distribution, and the NLL, are unchanged;
    a small ``stddev`` breaks the symmetry for further CD-k training. ``config.hidden`` is not
    changed: pass ``dataclasses.replace(config, hidden=hidden)`` along with the new model.
    """
    if hidden < config.hidden:
        raise ValueError(f"cannot narrow the RBM from {config.hidden} to {hidden} hidden units")
    keras.utils.set_random_seed(seed)
    wide = build_model(dataclasses.replace(config, hidden=hidden))
    wide.get_layer("gru").set_weights(model.get_layer("gru").get_weights())
    old, new = model.get_layer("rbm"), wide.get_layer("rbm")
    h = config.hidden
    rng = np.random.default_rng(seed)
    w = np.concatenate([old.w.numpy(), rng.normal(0.0, stddev, (NUM_KEYS, hidden - h)).astype(np.float32)], axis=1)
    new.w.assign(w)
    new.b_v.assign(old.b_v.numpy())
    new.u_v.assign(old.u_v.numpy())
    new.b_h.assign(np.concatenate([old.b_h.numpy(), np.zeros(hidden - h, np.float32)]))
    new.u_h.assign(np.concatenate([old.u_h.numpy(), new.u_h.numpy()[:, h:]], axis=1))
    return wide


def _flat_frames(model: keras.Model, context: tf.Tensor, frames: tf.Tensor, mask: tf.Tensor, training: bool):
    """(N, 88) frames and (N, 88), (N, H) biases of the masked steps."""
    b_v, b_h = model(context, training=training)
    keep = mask > 0
    return tf.boolean_mask(frames, keep), tf.boolean_mask(b_v, keep), tf.boolean_mask(b_h, keep)


def _rnn_rbm_loss(model: keras.Model, batch: tuple, training: bool, *, k: int) -> tuple[tf.Tensor, tf.Tensor]:
    context, frames, mask = batch
    v, b_v, b_h = _flat_frames(model, context, frames, mask, training)
    w = model.get_layer("rbm").w
    loss = rbm_mod.cd_loss(v, w, b_v, b_h, k, rbm_mod.training_seed())  # (N,)
    return tf.reduce_sum(loss), tf.reduce_sum(mask)


def _independent_loss(model: keras.Model, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """Exact frame NLL when ``W = 0`` (independent keys with logits b_v(t)); W, b_h and U_h get no gradient."""
    context, frames, mask = batch
    v, b_v, _ = _flat_frames(model, context, frames, mask, training)
    nll = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(v, b_v), axis=-1)  # (N,)
    return tf.reduce_sum(nll), tf.reduce_sum(mask)


@inference.per_model
def _bias_fn(model: keras.Model) -> Callable:
    @tf.function(reduce_retracing=True)
    def run(context, frames, mask):
        v, b_v, b_h = _flat_frames(model, context, frames, mask, False)
        w = model.get_layer("rbm").w
        return v, b_v, b_h, rbm_mod.free_energy(v, w, b_v, b_h)

    return run


def frame_nll(model: keras.Model, config: Config, rolls: Sequence[np.ndarray], *, max_frames: int | None = None,
              betas: int | None = None, seed: int = 0, batch_size: int = 16, start: int = 1) -> dict[str, Any]:
    """AIS estimate of the frame NLL: ``F_t(v_t) + log Z_t`` averaged over frames 1..T-1.

    ``max_frames`` keeps an evenly spaced subset of the frames (cheap validation);
    ``start`` > 1 scores only frames ``start..T-1`` (still given every frame before them).
    """
    run = _bias_fn(model)
    b_vs, b_hs, energies = [], [], []
    for context, targets, mask in scoring_batches(rolls, batch_size, start):
        _, b_v, b_h, f = run(context, targets, mask)
        b_vs.append(b_v.numpy())
        b_hs.append(b_h.numpy())
        energies.append(f.numpy())
    b_v, b_h, f = np.concatenate(b_vs), np.concatenate(b_hs), np.concatenate(energies).astype(np.float64)
    total_frames = len(f)
    keep = rbm_mod.evenly_spaced(total_frames, max_frames or config.ais_max_frames)
    return rbm_mod.ais_nll(f[keep], model.get_layer("rbm").w.numpy(), b_v[keep], b_h[keep], config,
                           frames_total=total_frames, betas=betas, seed=seed)


def independent_nll(model: keras.Model, config: Config, rolls: Sequence[np.ndarray]) -> dict[str, Any]:
    """Frame NLL of the keys as independent Bernoulli(sigmoid(b_v(t))): the exact NLL when ``W = 0``."""
    run = _bias_fn(model)
    total, frames = 0.0, 0
    for context, targets, mask in scoring_batches(rolls):
        v, b_v, _, _ = run(context, targets, mask)
        total += float(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(v, b_v)))
        frames += int(v.shape[0])
    return {"nll": total / max(frames, 1), "frames": frames, "estimate": False}


def _pretrain(
    model: keras.Model,
    config: Config,
    train_rolls: Sequence[np.ndarray],
    valid_rolls: Sequence[np.ndarray],
    state: dict[str, Any],
    **loop_kwargs: Any,
) -> dict[str, Any]:
    """``config.pretrain_epochs`` epochs of the exact NLL with ``W`` held at 0 (early stopping on
    the whole valid split); the returned history's records carry ``"phase": "pretrain"``."""
    w = model.get_layer("rbm").w
    if "epoch" not in state:  # a fresh run (a resumed one already has W = 0)
        w.assign(tf.zeros_like(w))
    with warnings.catch_warnings():  # W, b_h and U_h have no gradient here, by design
        warnings.filterwarnings("ignore", message="Gradients do not exist")
        metrics = training.train_loop(
            model, dataclasses.replace(config, max_epochs=config.pretrain_epochs), train_rolls, valid_rolls,
            make_epoch=next_frame_epoch, loss_fn=_independent_loss, nll_fn=independent_nll,
            state={**state, "phase": "pretrain"}, **loop_kwargs,
        )
    for record in metrics["history"]:
        record.setdefault("phase", "pretrain")
    return metrics


def fit(model: keras.Model, config: Config, train_rolls: Sequence[np.ndarray], valid_rolls: Sequence[np.ndarray],
        **run: Unpack[training.RunOptions]) -> dict[str, Any]:
    """CD-k through time with Adam; early stopping on a cheap AIS estimate of a valid subset,
    then full AIS estimates of the valid split and of a train subset for the returned metrics.

    A fresh run (no ``state``) with ``config.pretrain_epochs`` first pretrains with the exact
    NLL at ``W = 0`` (``_pretrain``); ``state["phase"]`` says which phase a resumed run is in.
    A fine-tune (``{"validate_start": True}``) goes straight to CD-k.
    """
    started = time.monotonic()
    state = dict(run.pop("state", None) or {})
    phase = state.get("phase", "cd" if state else "pretrain")
    if phase == "pretrain" and config.pretrain_epochs > 0:
        pre = _pretrain(model, config, train_rolls, valid_rolls, state, **run)
        if pre["stopped"] == "time":  # --resume continues the pretraining
            return rbm_mod.with_full_estimates(pre, frame_nll, model, config, train_rolls, valid_rolls)
        # The best pretrained weights (W = 0) are the start of CD-k, kept unless an epoch beats them.
        w = model.get_layer("rbm").w
        w.assign(tf.random.normal(tf.shape(w), stddev=0.01, seed=run["seed"]))
        state = {"phase": "cd", "validate_start": True, "epoch": pre["epochs"], "step": pre["steps"],
                 "wall_seconds": pre["wall_seconds"], "history": pre["history"]}
        if run["max_minutes"]:
            run["max_minutes"] = max(run["max_minutes"] - (time.monotonic() - started) / 60.0, 1e-3)
    else:
        state.setdefault("phase", "cd")
    metrics = training.train_loop(model, config, train_rolls, valid_rolls, make_epoch=next_frame_epoch,
                                  loss_fn=functools.partial(_rnn_rbm_loss, k=config.cd_k),
                                  nll_fn=rbm_mod.subset_nll(frame_nll), state=state, **run)
    return rbm_mod.with_full_estimates(metrics, frame_nll, model, config, train_rolls, valid_rolls)


# ---------------------------------------------------------------------------
# Generation: loop over time, inner Gibbs loop, one tf.function


@inference.per_model
def _generator(model: keras.Model, sweeps: int) -> Callable:
    cell = model.get_layer("gru").cell
    rbm = model.get_layer("rbm")
    shapes = [(1, cell.units)]

    # One time step (GRU, then the Gibbs sweeps) compiled by XLA: its many tiny ops
    # fuse, several times faster on CPU than the graph executor.
    @tf.function(jit_compile=True)
    def sample_step(x, state, temperature, seed):
        u, (state,) = cell(x, [state], training=False)
        b_v, b_h = rbm(u)
        v = tf.zeros((1, NUM_KEYS))  # each frame's chain starts from silence
        v = rbm_mod.gibbs_sweeps(v, rbm.w, b_v, b_h, sweeps, seed, temperature)
        return v, state

    def read(x, states):
        return cell(x, states, training=False)[1]

    def draw(x, states, temperature, seed, t):
        v, state = sample_step(x, states[0], temperature, tf.stack([seed, tf.cast(t, tf.int64) * 65536]))
        return v, [state]

    return inference.sampler(inference.teacher_forced(read, shapes), draw, shapes)


def generate(model: keras.Model, config: Config, steps: int, *, temperature: float = 1.0, seed: int = 0,
             primer: np.ndarray | None = None) -> np.ndarray:
    """Sample ``steps`` new frames, (steps, 88) uint8, ``config.gibbs_steps`` sweeps per frame.

    Args:
        steps: length in grid steps.
        temperature: divides the RBM energies (> 0).
        seed: any int; the same seed gives the same clip.
        primer: optional (P, 88) roll the GRU reads first.
    """
    return inference.run_sampler(lambda: _generator(model, config.gibbs_steps), inference.prepare_primer(primer),
                                 steps, steps, temperature, seed)
