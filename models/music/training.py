"""The training loop every music model uses: epochs of batches, early stopping, resume.

A model module hands :func:`train_loop` three functions of its own:

* ``make_epoch(rolls, config, rng)``: one epoch of batches (tuples of arrays, see
  ``models.music.batches``), drawn from ``rng``;
* ``loss_fn(model, batch, training)``: ``(summed loss, frames counted)`` of a batch;
* ``nll_fn(model, config, rolls)``: the validation figure, ``{"nll": ...}``.

The loop owns the rest, driven by the config's fields: the optimizer (``optimizer``,
``learning_rate``, ``clip_norm``, ``weight_decay``), early stopping (``max_epochs``,
``patience``), learning-rate halving (``lr_patience``), a moving average of the weights
(``ema``), periodic checkpoints (``checkpoint_minutes``) and resuming from one. A
model's ``fit`` passes its :class:`RunOptions` through.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Required, TypedDict

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm


class RunOptions(TypedDict, total=False):
    """How one training run goes (the keyword arguments of every model's ``fit``).

    ``seed`` seeds the epochs' batches and dropout; ``max_minutes`` is the time budget
    (None: none); ``state`` resumes (see :func:`train_loop`); ``on_checkpoint(model,
    state)`` saves; ``progress`` shows bars and a line per epoch.
    """

    seed: Required[int]
    max_minutes: Required[float | None]
    state: dict[str, Any] | None
    on_checkpoint: Callable[[keras.Model, dict[str, Any]], None] | None
    progress: bool


def make_optimizer(config: Any) -> keras.optimizers.Optimizer:
    kwargs = {"learning_rate": config.learning_rate}
    if config.clip_norm and config.clip_norm > 0:
        kwargs["global_clipnorm"] = config.clip_norm
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(**kwargs)
    if config.optimizer == "adam":
        weight_decay = getattr(config, "weight_decay", 0.0)
        if weight_decay > 0:
            return keras.optimizers.AdamW(weight_decay=weight_decay, **kwargs)
        return keras.optimizers.Adam(**kwargs)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def train_loop(
    model: keras.Model,
    config: Any,
    train_rolls: Sequence[np.ndarray],
    valid_rolls: Sequence[np.ndarray],
    *,
    make_epoch: Callable[[Sequence[np.ndarray], Any, np.random.Generator], list[tuple]],
    loss_fn: Callable[[keras.Model, tuple, bool], tuple[tf.Tensor, tf.Tensor]],
    nll_fn: Callable[[keras.Model, Any, Sequence[np.ndarray]], dict[str, Any]],
    seed: int,
    max_minutes: float | None,
    state: dict[str, Any] | None = None,
    on_checkpoint: Callable[[keras.Model, dict[str, Any]], None] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Epochs of ``make_epoch`` batches with validation early stopping.

    ``state`` (JSON-able scalars plus ``best_weights``, a list of arrays) is what
    ``on_checkpoint`` last received; passing it back resumes after its epoch.
    ``{"validate_start": True}`` starts a fine-tune: the weights the model already
    has are validated first and kept unless an epoch beats them. The
    optimizer is attached with ``model.compile`` so a saved model keeps its slots.
    """
    start = time.monotonic()
    state = dict(state or {})
    state.setdefault("epoch", 0)
    state.setdefault("step", 0)
    state.setdefault("best", math.inf)
    state.setdefault("best_epoch", 0)
    state.setdefault("bad_epochs", 0)
    state.setdefault("history", [])
    state.setdefault("wall_seconds", 0.0)
    state["seed"] = seed
    prior_wall = float(state["wall_seconds"])
    if state.pop("validate_start", False) and "best_weights" not in state:
        # Fine-tuning from trained weights: they are the best so far, so an epoch that
        # makes the validation NLL worse can never replace them.
        state.update(best=nll_fn(model, config, valid_rolls)["nll"], best_epoch=0)
        state["best_weights"] = [w.copy() for w in model.get_weights()]
        if progress:
            tqdm.write(f"start: valid NLL {state['best']:.3f}")

    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer=make_optimizer(config))
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    optimizer.learning_rate.assign(config.learning_rate * state.get("lr_scale", 1.0))
    variables = model.trainable_variables
    # Polyak averaging (config.ema = decay, 0: off): validation, early stopping and the
    # shipped weights use an exponential moving average of the trained weights.
    ema = float(getattr(config, "ema", 0.0) or 0.0)
    shadow = [tf.Variable(v, trainable=False) for v in variables] if ema > 0 else []
    for s, saved in zip(shadow, state.get("ema_weights", []), strict=False):
        s.assign(saved)

    @tf.function(reduce_retracing=True)
    def train_step(*batch):
        with tf.GradientTape() as tape:
            total, frames = loss_fn(model, batch, True)
            loss = total / tf.maximum(frames, 1.0)
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        for s, v in zip(shadow, variables if shadow else [], strict=True):
            s.assign(ema * s + (1.0 - ema) * v)
        return total, frames

    def validate() -> tuple[float, list[np.ndarray] | None]:
        """Validation NLL (of the averaged weights under EMA) and, if EMA, those weights."""
        if not shadow:
            return nll_fn(model, config, valid_rolls)["nll"], None
        live = [v.numpy() for v in variables]
        for s, v in zip(shadow, variables, strict=True):
            v.assign(s)
        nll, averaged = nll_fn(model, config, valid_rolls)["nll"], model.get_weights()
        for w, v in zip(live, variables, strict=True):
            v.assign(w)
        return nll, averaged

    deadline = start + 60.0 * max_minutes if max_minutes else math.inf
    last_checkpoint = time.monotonic()
    stopped = "max_epochs"

    def checkpoint() -> None:
        state["wall_seconds"] = prior_wall + time.monotonic() - start
        if shadow:
            state["ema_weights"] = [s.numpy() for s in shadow]
        if on_checkpoint is not None:
            on_checkpoint(model, state)

    while state["epoch"] < config.max_epochs:
        if state["bad_epochs"] >= config.patience:
            stopped = "early"
            break
        if time.monotonic() >= deadline:
            stopped = "time"
            break
        epoch = state["epoch"] + 1
        keras.utils.set_random_seed(seed * 1000 + epoch)  # dropout masks
        rng = np.random.default_rng([seed, epoch])
        batches = make_epoch(train_rolls, config, rng)
        total, frames = 0.0, 0.0
        bar = tqdm(batches, desc=f"epoch {epoch}", disable=not progress, leave=False, mininterval=5)
        out_of_time = False
        for batch in bar:
            s, n = train_step(*[tf.constant(a) for a in batch])
            total, frames = total + float(s), frames + float(n)
            state["step"] += 1
            bar.set_postfix(nll=f"{total / max(frames, 1):.3f}", refresh=False)
            if time.monotonic() >= deadline:
                out_of_time = True
                break
        bar.close()
        # A partial epoch (out of time) is validated too: its updates are kept if better.
        valid, averaged = validate()
        state["epoch"] = epoch
        record = {
            "epoch": epoch,
            "train_loss": total / max(frames, 1),
            "valid_nll": valid,
            "seconds": round(prior_wall + time.monotonic() - start, 1),
        }
        state["history"].append(record)
        if valid < state["best"]:
            state.update(best=valid, best_epoch=epoch, bad_epochs=0)
            state["best_weights"] = averaged if averaged is not None else [w.copy() for w in model.get_weights()]
        else:
            state["bad_epochs"] += 1
            lr_patience = getattr(config, "lr_patience", 0)
            if lr_patience and state["bad_epochs"] % lr_patience == 0:
                state["lr_scale"] = state.get("lr_scale", 1.0) * 0.5
                optimizer.learning_rate.assign(config.learning_rate * state["lr_scale"])
        if progress:
            tqdm.write(
                f"epoch {epoch}: train loss {record['train_loss']:.3f}  valid NLL {valid:.3f}"
                f"  (best {state['best']:.3f} @ {state['best_epoch']})  {record['seconds']:.0f}s"
                f"  lr x{state.get('lr_scale', 1.0):g}"
            )
        if time.monotonic() - last_checkpoint >= 60.0 * config.checkpoint_minutes:
            checkpoint()
            last_checkpoint = time.monotonic()
        if out_of_time:
            stopped = "time"
            break
    if state["bad_epochs"] >= config.patience:
        stopped = "early"
    state["stopped"] = stopped
    checkpoint()  # the last state, before restoring the best weights (resume continues it)

    if "best_weights" in state:
        model.set_weights(state["best_weights"])
    train_nll = nll_fn(model, config, train_rolls)["nll"]
    valid_nll = float(state["best"]) if state["history"] else nll_fn(model, config, valid_rolls)["nll"]
    return {
        "train_nll": train_nll,
        "valid_nll": valid_nll,
        "gap": valid_nll - train_nll,
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "steps": state["step"],
        "wall_seconds": round(prior_wall + time.monotonic() - start, 1),
        "stopped": stopped,
        "history": state["history"],
    }


def key_frequency_logits(rolls: Sequence[np.ndarray], floor: float = 1e-4) -> np.ndarray:
    """(88,) logit of each key's frequency over all frames of ``rolls``."""
    counts = sum(r.sum(axis=0, dtype=np.float64) for r in rolls)
    frames = sum(r.shape[0] for r in rolls)
    p = np.clip(counts / max(frames, 1), floor, 1.0 - floor)
    return np.log(p / (1.0 - p)).astype(np.float32)


def init_output_bias(dense: keras.layers.Dense, rolls: Sequence[np.ndarray]) -> None:
    """Set a fresh output layer's bias to the key-frequency logits of ``rolls``."""
    dense.bias.assign(key_frequency_logits(rolls))
