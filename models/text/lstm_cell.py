"""The seed's LSTM written from scratch: gates and cell state as TensorFlow ops.

For one step, with input ``x`` (B, D), hidden ``h`` (B, U) and cell ``c`` (B, U)::

    z = x @ W + h @ U + b                     # (B, 4U): input, forget, candidate, output
    i = sigmoid(z_i)                          # input gate: how much new content to write
    f = sigmoid(z_f)                          # forget gate: how much old memory to keep
    g = tanh(z_g)                             # candidate content
    o = sigmoid(z_o)                          # output gate: how much memory to expose
    c' = f * c + i * g                        # new cell state
    h' = o * tanh(c')                         # new hidden state / output

The weights use exactly the layout of ``keras.layers.LSTMCell`` (``kernel`` (D, 4U),
``recurrent_kernel`` (U, 4U), ``bias`` (4U,), gate order i, f, c, o), so weights move
between the two with ``set_weights`` and a test checks that both compute the same thing.

:class:`ScratchLSTM` runs the cell over a sequence. It hoists the input projection
``x @ W`` out of the time loop (one large matmul for all steps, which is what makes it
faster than a per-step cell on a CPU) and loops over time with ``tf.while_loop``.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def lstm_step(z: tf.Tensor, c: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Gates from pre-activations ``z`` (B, 4U) and the cell state ``c`` (B, U) -> (h', c')."""
    z_i, z_f, z_g, z_o = tf.split(z, 4, axis=-1)
    i = tf.sigmoid(z_i)
    f = tf.sigmoid(z_f)
    g = tf.tanh(z_g)
    o = tf.sigmoid(z_o)
    c_new = f * c + i * g
    h_new = o * tf.tanh(c_new)
    return h_new, c_new


def _unit_forget_bias(units: int):
    def init(shape, dtype=None):
        return tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])], 0)

    return init


@keras.saving.register_keras_serializable(package="wikimuse")
class ScratchLSTMCell(keras.layers.Layer):
    """One LSTM step, ``cell(x, [h, c]) -> (h', [h', c'])`` like ``keras.layers.LSTMCell``."""

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape) -> None:
        dim = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel", shape=(dim, 4 * self.units), initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, 4 * self.units), initializer="orthogonal")
        self.bias = self.add_weight(
            name="bias", shape=(4 * self.units,), initializer=_unit_forget_bias(self.units))

    def call(self, inputs, states, training=False):
        h, c = states
        z = tf.matmul(inputs, self.kernel) + tf.matmul(h, self.recurrent_kernel) + self.bias
        h, c = lstm_step(z, c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="wikimuse")
class ScratchLSTM(keras.layers.Layer):
    """An LSTM over a sequence with the scratch cell.

    ``layer(x, initial_state=[h, c]) -> (outputs (B, T, U), h (B, U), c (B, U))``,
    the same as ``keras.layers.LSTM(return_sequences=True, return_state=True)``.
    """

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.cell = ScratchLSTMCell(units, name="cell")

    def build(self, input_shape) -> None:
        self.cell.build(input_shape)

    def call(self, sequences, initial_state=None, training=False):
        batch = tf.shape(sequences)[0]
        steps = tf.shape(sequences)[1]
        if initial_state is None:
            zeros = tf.zeros([batch, self.units], dtype=sequences.dtype)
            initial_state = [zeros, zeros]
        h, c = initial_state
        cell = self.cell
        # Input projection for every step at once: (B, T, D) @ (D, 4U) -> (T, B, 4U).
        xz = tf.einsum("btd,dk->tbk", sequences, cell.kernel) + cell.bias
        recurrent = tf.convert_to_tensor(cell.recurrent_kernel)
        outputs = tf.TensorArray(sequences.dtype, size=steps)

        def body(t, h, c, outputs):
            h, c = lstm_step(xz[t] + tf.matmul(h, recurrent), c)
            return t + 1, h, c, outputs.write(t, h)

        _, h, c, outputs = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), h, c, outputs))
        return tf.transpose(outputs.stack(), [1, 0, 2]), h, c

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}
