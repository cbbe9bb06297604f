"""The genre LSTM composer: two stacked LSTMs over piano-roll frames, a sigmoid per key.

As in the jazz seed (004): LSTM -> dropout -> LSTM -> dropout -> dense, trained with
Adam and cross-entropy. The output is polyphonic: 88 independent Bernoulli keys per
step (binary cross-entropy), so chords exist. Genre conditioning is one checkpoint
per genre (measured against a shared model with a genre embedding; see
docs/BENCHMARKS.md and bench/music_lstm_conditioning.py).

Frame ``t`` of a piece is predicted from frames ``< t``. The model sees a silent
start frame before frame 0, so it also learns how pieces begin (needed to compose
without a primer); the frame NLL counts only frames 1..T-1.

This module also holds the training loop shared with the encoder-decoder
(``train_loop``): bucketed batches, transposition augmentation, validation early
stopping and resumable state.
"""

from __future__ import annotations

import dataclasses
import math
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from models.music.datasets import NUM_KEYS

KIND = "lstm"


@dataclass
class Config:
    """Hyper-parameters of the LSTM composer (JSON-able)."""

    units: int = 256
    dropout: float = 0.4
    input_dropout: float = 0.0
    recurrent_dropout: float = 0.0  # on the recurrent state, training only
    optimizer: str = "adam"  # adam | rmsprop
    learning_rate: float = 1e-3
    weight_decay: float = 0.0  # decoupled (AdamW) when > 0
    clip_norm: float = 1.0
    batch_size: int = 16
    window: int = 128  # training segment length in steps (longer pieces are split)
    max_epochs: int = 500
    patience: int = 12  # epochs without a better validation NLL before stopping
    lr_patience: int = 4  # halve the learning rate after this many epochs without progress (0: off)
    transpose: int = 0  # random shift of +-transpose semitones (0: off)
    steps_per_beat: int = 1
    checkpoint_minutes: float = 5.0
    # Start the output biases at the training set's key frequencies (logit of the mean),
    # so training begins at the unigram model instead of spending epochs reaching it.
    init_output_bias: bool = False
    ema: float = 0.0  # decay of a moving average of the weights used for validation and shipping (0: off)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    @classmethod
    def tiny(cls) -> Config:
        return cls(units=8, batch_size=4, window=16, max_epochs=2, patience=1)


def config_for_genre(genre: str) -> Config:
    """Default sizes per genre (bigger data, bigger model).

    The Boulanger sets are transposed to C major / C minor, so large random keys
    would blur their test distribution; small shifts (+-3) still regularize the
    tiny JSB set. The MIDI genres (jazz, ragtime) are in their original keys and
    small, so they are augmented by +-5 semitones.
    """
    if genre == "chorale":
        # small data (13.8k frames): small batches, dropout on inputs and between layers,
        # +-3 semitone shifts and a moving average of the weights (measured in
        # docs/BENCHMARKS.md: each of the last two took the valid NLL from 8.59 towards 8.3)
        return Config(units=256, dropout=0.5, input_dropout=0.1, batch_size=4, window=128,
                      patience=10, transpose=3, ema=0.995, init_output_bias=True)
    if genre in ("folk", "classical", "classical_piano"):
        return Config(units=256, dropout=0.3, batch_size=16, window=64, learning_rate=2e-3,
                      patience=6)
    if genre == "ragtime":  # 14 training pieces: small batches, patience counted in epochs
        return Config(units=256, dropout=0.4, batch_size=4, window=128, patience=25,
                      lr_patience=6, transpose=5)
    return Config(units=256, dropout=0.4, batch_size=16, window=128, patience=10, transpose=5)


def build_model(config: Config) -> keras.Model:
    """Frames (B, T, 88) -> logits (B, T, 88) of the next frame."""
    frames = keras.Input((None, NUM_KEYS), name="frames")
    x = frames
    if config.input_dropout > 0:
        x = keras.layers.Dropout(config.input_dropout, name="input_dropout")(x)
    x = keras.layers.LSTM(config.units, return_sequences=True, name="lstm_1",
                          recurrent_dropout=config.recurrent_dropout)(x)
    x = keras.layers.Dropout(config.dropout, name="dropout_1")(x)
    x = keras.layers.LSTM(config.units, return_sequences=True, name="lstm_2",
                          recurrent_dropout=config.recurrent_dropout)(x)
    x = keras.layers.Dropout(config.dropout, name="dropout_2")(x)
    logits = keras.layers.Dense(NUM_KEYS, name="logits")(x)  # (B, T, 88)
    return keras.Model(frames, logits, name="lstm_composer")


# ---------------------------------------------------------------------------
# Data: segments, transposition, padded batches (shared with seq2seq)


def transpose_roll(roll: np.ndarray, shift: int) -> np.ndarray:
    """Shift every key by ``shift`` semitones; the caller keeps notes on the keyboard."""
    if shift == 0:
        return roll
    out = np.zeros_like(roll)
    if shift > 0:
        out[:, shift:] = roll[:, :-shift]
    else:
        out[:, :shift] = roll[:, -shift:]
    return out


def random_transpose(roll: np.ndarray, rng: np.random.Generator, max_shift: int) -> np.ndarray:
    """Transpose by a random shift in [-max_shift, max_shift] that drops no note."""
    if max_shift <= 0:
        return roll
    keys = np.flatnonzero(roll.any(axis=0))
    if keys.size == 0:
        return roll
    low = max(-max_shift, -int(keys[0]))
    high = min(max_shift, NUM_KEYS - 1 - int(keys[-1]))
    return transpose_roll(roll, int(rng.integers(low, high + 1)))


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


def _lstm_epoch(rolls: Sequence[np.ndarray], config: Config, rng: np.random.Generator) -> list[tuple]:
    """One pass over every frame: (inputs, targets, mask) batches."""
    items = []
    for roll in rolls:
        roll = random_transpose(roll, rng, config.transpose)
        padded = with_start_frame(roll)  # input t is frame t-1 (silence before frame 0)
        for a, b in split_segments(roll.shape[0], config.window, rng):
            items.append((padded[a:b], roll[a:b]))
    batches = []
    for idx in length_batches([it[1].shape[0] for it in items], config.batch_size, rng):
        inputs, mask = pad_stack([items[i][0] for i in idx])
        targets, _ = pad_stack([items[i][1] for i in idx])
        batches.append((inputs, targets, mask))
    return batches


def _lstm_loss(model: keras.Model, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    inputs, targets, mask = batch
    logits = model(inputs, training=training)  # (B, T, 88)
    nll = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(targets, logits), axis=-1)  # (B, T)
    return tf.reduce_sum(nll * mask), tf.reduce_sum(mask)


# ---------------------------------------------------------------------------
# Evaluation


_EVAL_FNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _eval_fn(model: keras.Model) -> Callable:
    if model not in _EVAL_FNS:

        @tf.function(reduce_retracing=True)
        def run(inputs, targets, mask):
            return _lstm_loss(model, (inputs, targets, mask), False)

        _EVAL_FNS[model] = run
    return _EVAL_FNS[model]


def frame_nll(
    model: keras.Model, config: Config, rolls: Sequence[np.ndarray], batch_size: int = 32, *, start: int = 1
) -> dict[str, Any]:
    """Frame NLL: frames 1..T-1 of each piece given the frames before.

    Natural log, Bernoulli over 88 keys, summed over the split and divided by the
    number of predicted frames (sum of T - 1). ``start`` > 1 scores only frames
    ``start..T-1`` (still given every frame before them).
    """
    run = _eval_fn(model)
    total, frames = 0.0, 0
    for inputs, targets, mask in scoring_batches(rolls, batch_size, start):
        s, n = run(inputs, targets, mask)
        total += float(s)
        frames += int(round(float(n)))
    return {"nll": total / max(frames, 1), "frames": frames, "estimate": False}


# ---------------------------------------------------------------------------
# Training loop (shared with seq2seq)


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


def fit(
    model: keras.Model,
    config: Config,
    train_rolls: Sequence[np.ndarray],
    valid_rolls: Sequence[np.ndarray],
    *,
    seed: int,
    max_minutes: float | None,
    state: dict[str, Any] | None = None,
    on_checkpoint: Callable[[keras.Model, dict[str, Any]], None] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train with validation early stopping; returns train/valid NLL and counts."""
    if config.init_output_bias and not state:
        init_output_bias(model.get_layer("logits"), train_rolls)
    return train_loop(
        model,
        config,
        train_rolls,
        valid_rolls,
        make_epoch=_lstm_epoch,
        loss_fn=_lstm_loss,
        nll_fn=frame_nll,
        seed=seed,
        max_minutes=max_minutes,
        state=state,
        on_checkpoint=on_checkpoint,
        progress=progress,
    )


# ---------------------------------------------------------------------------
# Generation: one tf.function, a tf.range loop over steps


def sample_keys(logits: tf.Tensor, temperature: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Independent Bernoulli draw per key from logits / temperature; (1, 88) float32."""
    probs = tf.sigmoid(logits / temperature)
    u = tf.random.stateless_uniform(tf.shape(probs), seed=seed)
    return tf.cast(u < probs, tf.float32)


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
    order is fixed (seed 0), so every model's NLL sees the same batches.
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


def prepare_primer(primer: np.ndarray | None) -> np.ndarray:
    """Primer as (P, 88) float32 (P may be 0); clips to 0/1 and checks the width."""
    if primer is None:
        return np.zeros((0, NUM_KEYS), np.float32)
    primer = np.asarray(primer)
    if primer.ndim != 2 or primer.shape[1] != NUM_KEYS:
        raise ValueError(f"primer must be (P, {NUM_KEYS}), got {primer.shape}")
    return (primer > 0).astype(np.float32)


_GENERATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _generator(model: keras.Model) -> Callable:
    if model in _GENERATORS:
        return _GENERATORS[model]
    cell_1 = model.get_layer("lstm_1").cell
    cell_2 = model.get_layer("lstm_2").cell
    dense = model.get_layer("logits")
    units = cell_1.units

    def step(x, states):
        h1, s1 = cell_1(x, states[0:2], training=False)
        h2, s2 = cell_2(h1, states[2:4], training=False)
        return dense(h2), [tf.ensure_shape(s, (1, units)) for s in (*s1, *s2)]

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, NUM_KEYS], tf.float32),
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([], tf.float32),
            tf.TensorSpec([], tf.int64),
        ]
    )
    def run(primer, steps, temperature, seed):
        states = [tf.zeros((1, units)) for _ in range(4)]
        x = tf.zeros((1, NUM_KEYS))  # the silent start frame
        for t in tf.range(tf.shape(primer)[0]):  # read the primer (teacher forcing)
            _, states = step(x, states)
            x = primer[t][None, :]
        out = tf.TensorArray(tf.float32, size=steps)
        for t in tf.range(steps):
            logits, states = step(x, states)
            x = sample_keys(logits, temperature, tf.stack([seed, tf.cast(t, tf.int64)]))
            x = tf.ensure_shape(x, (1, NUM_KEYS))
            out = out.write(t, x[0])
        return out.stack()  # (steps, 88)

    _GENERATORS[model] = run
    return run


def generate(
    model: keras.Model,
    config: Config,
    steps: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    primer: np.ndarray | None = None,
) -> np.ndarray:
    """Sample ``steps`` new frames, (steps, 88) uint8; the same seed gives the same clip.

    Args:
        steps: length in grid steps (the caller converts bars or seconds with
            ``config.steps_per_beat``).
        temperature: divides the logits before the sigmoid (> 0).
        seed: any int; drives a stateless RNG.
        primer: optional (P, 88) roll the model reads before composing.
    """
    return run_sampler(lambda: _generator(model), prepare_primer(primer), steps, steps, temperature, seed)


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
