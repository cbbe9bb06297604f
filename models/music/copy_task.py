"""The toy copy task of the seq2seq live-coding (seed 002), as a check of the architecture.

A bidirectional LSTM encoder (20 units per direction) reads a random sequence of
tokens 2..9; its final states, forward and backward concatenated (40 units),
initialise the LSTM decoder (40 units) that must write the same sequence and
then EOS. Vocabulary 10 with PAD = 0 and EOS = 1, embeddings of 20 shared by
encoder and decoder, sequences of length 2-8, Adam, greedy argmax decoding.
The decoder starts from EOS (used as the "go" token, as in the seed).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from models.config import JsonConfig

PAD = 0
EOS = 1


@dataclass
class Config(JsonConfig):
    vocab_size: int = 10
    embedding: int = 20
    encoder_units: int = 20  # per direction
    decoder_units: int = 40  # = 2 * encoder_units: the concatenated final states
    min_len: int = 2
    max_len: int = 8
    batch_size: int = 256
    learning_rate: float = 0.01
    decay_steps: int = 500  # the learning rate shrinks by decay_rate every decay_steps
    decay_rate: float = 0.7
    clip_norm: float = 1.0


def random_sequences(rng: np.random.Generator, n: int, config: Config) -> list[tuple[int, ...]]:
    """``n`` sequences of tokens in [2, vocab) with lengths in [min_len, max_len]."""
    lengths = rng.integers(config.min_len, config.max_len + 1, size=n)
    return [tuple(int(t) for t in rng.integers(2, config.vocab_size, size=k)) for k in lengths]


def encode(seqs: Sequence[Sequence[int]], config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Encoder tokens (B, max_len), decoder inputs and targets (B, max_len + 1), PAD-padded.

    Decoder inputs are [EOS, x1..xn], targets [x1..xn, EOS].
    """
    n, width = len(seqs), config.max_len
    enc = np.full((n, width), PAD, np.int32)
    dec_in = np.full((n, width + 1), PAD, np.int32)
    targets = np.full((n, width + 1), PAD, np.int32)
    for i, s in enumerate(seqs):
        k = len(s)
        enc[i, :k] = s
        dec_in[i, 0] = EOS
        dec_in[i, 1 : k + 1] = s
        targets[i, :k] = s
        targets[i, k] = EOS
    return enc, dec_in, targets


def build_model(config: Config) -> keras.Model:
    """[encoder tokens (B, Te), decoder tokens (B, Td)] -> logits (B, Td, vocab)."""
    enc_tokens = keras.Input((None,), dtype="int32", name="encoder_tokens")
    dec_tokens = keras.Input((None,), dtype="int32", name="decoder_tokens")
    embed = keras.layers.Embedding(config.vocab_size, config.embedding, name="embedding")
    enc_mask = keras.ops.not_equal(enc_tokens, PAD)
    encoder = keras.layers.Bidirectional(
        keras.layers.LSTM(config.encoder_units, return_state=True), name="encoder"
    )
    _, h_fw, c_fw, h_bw, c_bw = encoder(embed(enc_tokens), mask=enc_mask)
    h = keras.layers.Concatenate(name="init_h")([h_fw, h_bw])  # (B, 40)
    c = keras.layers.Concatenate(name="init_c")([c_fw, c_bw])
    x = keras.layers.LSTM(config.decoder_units, return_sequences=True, name="decoder")(
        embed(dec_tokens), initial_state=[h, c]
    )
    logits = keras.layers.Dense(config.vocab_size, name="logits")(x)  # (B, Td, vocab)
    return keras.Model([enc_tokens, dec_tokens], logits, name="copy_seq2seq")


def make_greedy_decoder(model: keras.Model, config: Config):
    """tf.function: encoder tokens (B, Te) -> greedy tokens (B, max_len + 1), one loop."""
    embed = model.get_layer("embedding")
    encoder = model.get_layer("encoder")
    cell = model.get_layer("decoder").cell
    dense = model.get_layer("logits")
    steps = config.max_len + 1

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def decode(enc_tokens):
        batch = tf.shape(enc_tokens)[0]
        mask = tf.not_equal(enc_tokens, PAD)
        _, h_fw, c_fw, h_bw, c_bw = encoder(embed(enc_tokens), mask=mask, training=False)
        states = [tf.concat([h_fw, h_bw], -1), tf.concat([c_fw, c_bw], -1)]
        token = tf.fill([batch], EOS)
        out = tf.TensorArray(tf.int32, size=steps)
        for t in tf.range(steps):
            h, states = cell(embed(token), states, training=False)
            token = tf.argmax(dense(h), axis=-1, output_type=tf.int32)
            out = out.write(t, token)
        return tf.transpose(out.stack())  # (B, steps)

    return decode


def strip(tokens: Iterable[int]) -> tuple[int, ...]:
    """Tokens up to (not including) the first EOS; None-like () if EOS never comes."""
    out = []
    for t in tokens:
        if t == EOS:
            return tuple(out)
        out.append(int(t))
    return (-1,)  # no EOS: never equal to a real sequence


def exact_accuracy(decode, seqs: Sequence[tuple[int, ...]], config: Config) -> float:
    """Fraction of sequences copied exactly (every token, then EOS)."""
    enc, _, _ = encode(seqs, config)
    pred = decode(tf.constant(enc)).numpy()
    return float(np.mean([strip(p) == tuple(s) for p, s in zip(pred, seqs, strict=True)]))


def train(
    config: Config,
    *,
    seed: int,
    max_seconds: float,
    exclude: Iterable[tuple[int, ...]] = (),
    target_accuracy: float = 0.999,
    check_every: int = 100,
) -> tuple[keras.Model, dict]:
    """Train on fresh random batches (never a sequence in ``exclude``) until a
    validation set reaches ``target_accuracy`` or time runs out."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    banned = set(exclude)
    valid = [s for s in random_sequences(rng, 2000, config) if s not in banned]
    banned |= set(valid)
    model = build_model(config)
    schedule = keras.optimizers.schedules.ExponentialDecay(
        config.learning_rate, config.decay_steps, config.decay_rate
    )
    optimizer = keras.optimizers.Adam(schedule, global_clipnorm=config.clip_norm)
    optimizer.build(model.trainable_variables)
    variables = model.trainable_variables
    decode = make_greedy_decoder(model, config)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)] * 3)
    def step(enc, dec_in, targets):
        with tf.GradientTape() as tape:
            logits = model([enc, dec_in], training=True)
            ce = keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
            mask = tf.cast(tf.not_equal(targets, PAD), tf.float32)
            loss = tf.reduce_sum(ce * mask) / tf.reduce_sum(mask)
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss

    start = time.monotonic()
    steps, accuracy, loss = 0, 0.0, float("nan")
    while time.monotonic() - start < max_seconds:
        seqs = [s for s in random_sequences(rng, config.batch_size, config) if s not in banned]
        loss = float(step(*(tf.constant(a) for a in encode(seqs, config))))
        steps += 1
        if steps % check_every == 0:
            accuracy = exact_accuracy(decode, valid, config)
            if accuracy >= target_accuracy:
                break
    return model, {
        "steps": steps,
        "seconds": time.monotonic() - start,
        "valid_accuracy": accuracy,
        "loss": loss,
        "decode": decode,
    }
