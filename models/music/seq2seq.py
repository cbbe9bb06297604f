"""The encoder-decoder that continues a piece (seeds 000 and 002).

A bidirectional LSTM encoder reads a primer window of piano-roll steps; its final
states, forward and backward concatenated, initialise an LSTM decoder (twice the
encoder width) that writes the continuation one step at a time, a sigmoid per
key. Training uses teacher forcing: decoder input ``t`` is the true frame
``t - 1`` (the last primer frame for the first step). Generation feeds back the
decoder's own sampled frame, inside one ``tf.function``.

The NLL covers the frames after a fixed primer window of ``primer_steps``:
for a piece of T frames, frames ``primer_steps .. T-1`` (pieces no longer than
the window are skipped), which ``frame_nll`` reports as ``primer_steps``.
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
from models.music.batches import length_batches, pad_stack
from models.music.datasets import NUM_KEYS
from models.music.pianoroll import random_transpose

KIND = "seq2seq"


@dataclass
class Config(JsonConfig):
    """Hyper-parameters of the encoder-decoder (JSON-able)."""

    encoder_units: int = 128  # per direction; the decoder has 2 * encoder_units
    dropout: float = 0.3
    primer_steps: int = 16  # encoder window (and the NLL's fixed primer)
    target_steps: int = 64  # decoder length in training
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    clip_norm: float = 1.0
    batch_size: int = 32
    windows_per_epoch: float = 1.0  # windows per epoch, as a multiple of frames / target_steps
    max_epochs: int = 500
    patience: int = 10
    lr_patience: int = 4  # halve the learning rate after this many epochs without progress
    transpose: int = 0
    steps_per_beat: int = 1
    checkpoint_minutes: float = 5.0

    TINY = {"encoder_units": 4, "primer_steps": 4, "target_steps": 8, "batch_size": 4, "max_epochs": 2,
            "patience": 1}

    @property
    def decoder_units(self) -> int:
        return 2 * self.encoder_units


def config_for_genre(genre: str) -> Config:
    """Default sizes per genre: a 4-bar primer on each grid."""
    if genre == "chorale":  # quarter-note grid: 16 steps = 4 bars of 4/4
        return Config(encoder_units=128, dropout=0.4, primer_steps=16, target_steps=48,
                      batch_size=16, windows_per_epoch=2.0, patience=12)
    if genre in ("folk", "classical", "classical_piano"):  # eighth-note grid
        return Config(encoder_units=128, dropout=0.3, primer_steps=32, target_steps=64,
                      batch_size=16, learning_rate=2e-3, patience=6)
    # jazz, ragtime: sixteenth-note grid, original keys (transposition augmentation)
    if genre == "ragtime":  # 14 training pieces: small batches, more windows per epoch
        return Config(encoder_units=128, primer_steps=32, target_steps=96, batch_size=4,
                      windows_per_epoch=2.0, patience=25, lr_patience=6, transpose=5)
    return Config(encoder_units=128, primer_steps=32, target_steps=96, batch_size=16, transpose=5)


def build_model(config: Config) -> keras.Model:
    """[primer (B, P, 88), decoder inputs (B, L, 88)] -> logits (B, L, 88)."""
    primer = keras.Input((None, NUM_KEYS), name="primer")
    dec_inputs = keras.Input((None, NUM_KEYS), name="decoder_inputs")
    encoder = keras.layers.Bidirectional(
        keras.layers.LSTM(config.encoder_units, return_state=True), name="encoder"
    )
    _, h_fw, c_fw, h_bw, c_bw = encoder(primer)
    h = keras.layers.Concatenate(name="init_h")([h_fw, h_bw])  # (B, 2 * units)
    c = keras.layers.Concatenate(name="init_c")([c_fw, c_bw])
    x = keras.layers.LSTM(config.decoder_units, return_sequences=True, name="decoder")(
        dec_inputs, initial_state=[h, c]
    )
    x = keras.layers.Dropout(config.dropout, name="dropout")(x)
    logits = keras.layers.Dense(NUM_KEYS, name="logits")(x)  # (B, L, 88)
    return keras.Model([primer, dec_inputs], logits, name="seq2seq_composer")


# ---------------------------------------------------------------------------
# Data


def _window(roll: np.ndarray, start: int, primer_steps: int, length: int):
    """Primer frames [start, start+P), decoder inputs and targets after it."""
    p_end = start + primer_steps
    end = min(p_end + length, roll.shape[0])
    return roll[start:p_end], roll[p_end - 1 : end - 1], roll[p_end:end]


def _epoch(rolls: Sequence[np.ndarray], config: Config, rng: np.random.Generator) -> list[tuple]:
    """Random (primer, continuation) windows, about frames / target_steps of them."""
    p, length = config.primer_steps, config.target_steps
    usable = [r for r in rolls if r.shape[0] > p]
    weights = np.array([r.shape[0] - p for r in usable], np.float64)
    count = int(np.ceil(config.windows_per_epoch * weights.sum() / length))
    pieces = rng.choice(len(usable), size=count, p=weights / weights.sum())
    items = []
    for i in pieces:
        roll = usable[i]
        start = int(rng.integers(0, max(roll.shape[0] - p - length, 0) + 1))
        items.append(_window(random_transpose(roll, config.transpose, rng), start, p, length))
    batches = []
    for idx in length_batches([it[2].shape[0] for it in items], config.batch_size, rng):
        primer, _ = pad_stack([items[i][0] for i in idx], p)
        dec_in, mask = pad_stack([items[i][1] for i in idx])
        targets, _ = pad_stack([items[i][2] for i in idx])
        batches.append((primer, dec_in, targets, mask))
    return batches


def _loss(model: keras.Model, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    primer, dec_in, targets, mask = batch
    logits = model([primer, dec_in], training=training)  # (B, L, 88)
    nll = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(targets, logits), axis=-1)
    return tf.reduce_sum(nll * mask), tf.reduce_sum(mask)


def frame_nll(
    model: keras.Model, config: Config, rolls: Sequence[np.ndarray], batch_size: int = 32, *,
    start: int | None = None,
) -> dict[str, Any]:
    """NLL over frames ``start .. T-1`` of each piece longer than ``start`` (default
    ``primer_steps``).

    The encoder reads the ``primer_steps`` frames before ``start`` (silence-padded
    on the left when ``start`` is shorter, as :func:`generate` pads a short primer);
    the decoder is teacher-forced from frame ``start - 1`` on.
    """
    p = config.primer_steps
    start = p if start is None else int(start)
    if start < 1:
        raise ValueError("start must be >= 1: the decoder starts from the frame before it")
    usable = [r for r in rolls if r.shape[0] > start]
    pad = np.zeros((max(0, p - start), NUM_KEYS), np.uint8)

    def batches():
        for idx in length_batches([r.shape[0] for r in usable], batch_size, np.random.default_rng(0)):
            items = [_window(np.concatenate([pad, usable[i].astype(np.uint8)]), max(0, start - p), p,
                             usable[i].shape[0]) for i in idx]
            primer, _ = pad_stack([it[0] for it in items], p)
            dec_in, mask = pad_stack([it[1] for it in items])
            targets, _ = pad_stack([it[2] for it in items])
            yield tuple(tf.constant(a) for a in (primer, dec_in, targets, mask))

    return {**inference.summed_nll(inference.nll_function(model, _loss), batches()),
            "primer_steps": p, "skipped_pieces": len(rolls) - len(usable)}


def fit(model: keras.Model, config: Config, train_rolls: Sequence[np.ndarray], valid_rolls: Sequence[np.ndarray],
        **run: Unpack[training.RunOptions]) -> dict[str, Any]:
    """Teacher-forced training with validation early stopping."""
    return training.train_loop(model, config, train_rolls, valid_rolls, make_epoch=_epoch, loss_fn=_loss,
                               nll_fn=frame_nll, **run)


# ---------------------------------------------------------------------------
# Generation


@inference.per_model
def _generator(model: keras.Model) -> Callable:
    encoder = model.get_layer("encoder")
    cell = model.get_layer("decoder").cell
    dense = model.get_layer("logits")

    def init(primer):
        _, h_fw, c_fw, h_bw, c_bw = encoder(primer[None], training=False)
        # the last primer frame starts the decoder
        return primer[-1:], [tf.concat([h_fw, h_bw], -1), tf.concat([c_fw, c_bw], -1)]

    def draw(x, states, temperature, seed, t):
        h, states = cell(x, states, training=False)
        return inference.sample_keys(dense(h), temperature, tf.stack([seed, tf.cast(t, tf.int64)])), states

    return inference.sampler(init, draw, [(1, cell.units)] * 2)


def fit_primer(primer: np.ndarray | None, primer_steps: int) -> np.ndarray:
    """The last ``primer_steps`` frames, left-padded with silence when shorter."""
    roll = inference.prepare_primer(primer)[-primer_steps:]
    if roll.shape[0] < primer_steps:
        pad = np.zeros((primer_steps - roll.shape[0], NUM_KEYS), np.float32)
        roll = np.concatenate([pad, roll], axis=0)
    return roll


def generate(model: keras.Model, config: Config, steps: int, *, temperature: float = 1.0, seed: int = 0,
             primer: np.ndarray | None = None) -> np.ndarray:
    """Continue ``primer`` by ``steps`` frames, (steps, 88) uint8 (new frames only).

    The encoder reads the last ``config.primer_steps`` frames of the primer
    (silence-padded on the left when shorter; silence when there is none).
    """
    return inference.run_sampler(lambda: _generator(model), fit_primer(primer, config.primer_steps), steps, steps,
                                 temperature, seed)
