"""The from-scratch LSTM computes exactly what keras.layers.LSTM computes with the same weights."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.text.lstm_cell import ScratchLSTM, ScratchLSTMCell  # noqa: E402

B, T, D, U = 3, 7, 5, 4


def _random_weights(rng):
    return [rng.normal(0, 0.5, (D, 4 * U)).astype("float32"),
            rng.normal(0, 0.5, (U, 4 * U)).astype("float32"),
            rng.normal(0, 0.5, (4 * U,)).astype("float32")]


def test_cell_matches_keras_lstm_cell():
    rng = np.random.default_rng(0)
    ref, mine = keras.layers.LSTMCell(U), ScratchLSTMCell(U)
    ref.build((None, D))
    mine.build((None, D))
    weights = _random_weights(rng)
    ref.set_weights(weights)
    mine.set_weights(weights)
    x = rng.normal(size=(B, D)).astype("float32")
    h, c = rng.normal(size=(B, U)).astype("float32"), rng.normal(size=(B, U)).astype("float32")
    out_ref, (h_ref, c_ref) = ref(x, [h, c])
    out, (h2, c2) = mine(x, [h, c])
    np.testing.assert_allclose(out, out_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c2, c_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h2, h_ref, rtol=1e-5, atol=1e-6)


def test_sequence_layer_matches_keras_lstm_and_gradients_agree():
    rng = np.random.default_rng(1)
    ref = keras.layers.LSTM(U, return_sequences=True, return_state=True)
    mine = ScratchLSTM(U)
    ref.build((None, None, D))
    mine.build((None, None, D))
    weights = _random_weights(rng)
    ref.set_weights(weights)
    mine.set_weights(weights)
    x = tf.constant(rng.normal(size=(B, T, D)).astype("float32"))
    init = [tf.constant(rng.normal(size=(B, U)).astype("float32")) for _ in range(2)]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        seq_ref, h_ref, c_ref = ref(x, initial_state=init)
        seq, h, c = mine(x, initial_state=init)
        loss_ref = tf.reduce_sum(seq_ref ** 2) + tf.reduce_sum(c_ref)
        loss = tf.reduce_sum(seq ** 2) + tf.reduce_sum(c)
    np.testing.assert_allclose(seq, seq_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h, h_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c, c_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, x), tape.gradient(loss_ref, x), rtol=1e-4, atol=1e-5)
    for g, g_ref in zip(tape.gradient(loss, mine.trainable_variables),
                        tape.gradient(loss_ref, ref.trainable_variables), strict=True):
        np.testing.assert_allclose(g, g_ref, rtol=1e-4, atol=1e-5)


def test_default_forget_bias_is_one_like_keras():
    cell = ScratchLSTMCell(U)
    cell.build((None, D))
    bias = cell.bias.numpy()
    np.testing.assert_array_equal(bias[U:2 * U], 1.0)
    np.testing.assert_array_equal(np.concatenate([bias[:U], bias[2 * U:]]), 0.0)
