"""The genre LSTM composer: two stacked LSTMs over piano-roll frames, a sigmoid per key.

As in the jazz seed (004): LSTM -> dropout -> LSTM -> dropout -> dense, trained with
Adam and cross-entropy. The output is polyphonic: 88 independent Bernoulli keys per
step (binary cross-entropy), so chords exist. Genre conditioning is one checkpoint
per genre (measured against a shared model with a genre embedding; see
docs/BENCHMARKS.md and bench/music_lstm_conditioning.py).

Frame ``t`` of a piece is predicted from frames ``< t``. The model sees a silent
start frame before frame 0, so it also learns how pieces begin (needed to compose
without a primer); the frame NLL counts only frames 1..T-1.
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

KIND = "lstm"


@dataclass
class Config(JsonConfig):
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

    TINY = {"units": 8, "batch_size": 4, "window": 16, "max_epochs": 2, "patience": 1}


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


def _loss(model: keras.Model, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    inputs, targets, mask = batch
    logits = model(inputs, training=training)  # (B, T, 88)
    nll = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(targets, logits), axis=-1)  # (B, T)
    return tf.reduce_sum(nll * mask), tf.reduce_sum(mask)


def frame_nll(
    model: keras.Model, config: Config, rolls: Sequence[np.ndarray], batch_size: int = 32, *, start: int = 1
) -> dict[str, Any]:
    """Frame NLL: frames 1..T-1 of each piece given the frames before.

    Natural log, Bernoulli over 88 keys, summed over the split and divided by the
    number of predicted frames (sum of T - 1). ``start`` > 1 scores only frames
    ``start..T-1`` (still given every frame before them).
    """
    return inference.next_frame_nll(model, _loss, rolls, batch_size, start)


def fit(model: keras.Model, config: Config, train_rolls: Sequence[np.ndarray], valid_rolls: Sequence[np.ndarray],
        **run: Unpack[training.RunOptions]) -> dict[str, Any]:
    """Train with validation early stopping; returns train/valid NLL and counts."""
    if config.init_output_bias and not run.get("state"):
        training.init_output_bias(model.get_layer("logits"), train_rolls)
    return training.train_loop(model, config, train_rolls, valid_rolls, make_epoch=next_frame_epoch,
                               loss_fn=_loss, nll_fn=frame_nll, **run)


# ---------------------------------------------------------------------------
# Generation: one tf.function, a tf.range loop over steps


@inference.per_model
def _generator(model: keras.Model) -> Callable:
    cell_1 = model.get_layer("lstm_1").cell
    cell_2 = model.get_layer("lstm_2").cell
    dense = model.get_layer("logits")
    shapes = [(1, cell_1.units)] * 4

    def step(x, states):
        h1, s1 = cell_1(x, states[0:2], training=False)
        h2, s2 = cell_2(h1, states[2:4], training=False)
        return dense(h2), [*s1, *s2]

    def draw(x, states, temperature, seed, t):
        logits, states = step(x, states)
        return inference.sample_keys(logits, temperature, tf.stack([seed, tf.cast(t, tf.int64)])), states

    return inference.sampler(inference.teacher_forced(lambda x, states: step(x, states)[1], shapes), draw, shapes)


def generate(model: keras.Model, config: Config, steps: int, *, temperature: float = 1.0, seed: int = 0,
             primer: np.ndarray | None = None) -> np.ndarray:
    """Sample ``steps`` new frames, (steps, 88) uint8; the same seed gives the same clip.

    Args:
        steps: length in grid steps (the caller converts bars or seconds with
            ``config.steps_per_beat``).
        temperature: divides the logits before the sigmoid (> 0).
        seed: any int; drives a stateless RNG.
        primer: optional (P, 88) roll the model reads before composing.
    """
    return inference.run_sampler(lambda: _generator(model), inference.prepare_primer(primer), steps, steps,
                                 temperature, seed)
