"""Widen a trained writer: more LSTM units per layer, the same function.

A wider writer need not start from scratch. :func:`widen` copies a trained
:class:`~models.text.char_lstm.CharLSTM` into a wider one so that the wide model
computes exactly the narrow one's logits:

- each old unit keeps its weights, in every gate (order i, f, c, o);
- a new unit gets the wide model's own fresh initial weights on everything it
  *reads* (the layer below, every unit's previous output, its bias);
- nothing old *reads* a new unit: the rows of the next layer's kernel, of the
  recurrent kernel and of the head that a new unit's output feeds are zero.

So the old units see only old inputs and the head only old units. The new units
still run and produce non-zero outputs, so the first gradient step gives their
outgoing weights a gradient and training recruits them from there (the
zero-outgoing form of Net2WiderNet, Chen et al., 2016).
"""

from __future__ import annotations

import numpy as np

from models.text.char_lstm import CharLSTM

GATES = 4  # Keras' and the scratch cell's packed gate order: i, f, c, o


def _old_columns(old_units: int, new_units: int) -> np.ndarray:
    """(4 * new_units,) bool: the packed gate columns that belong to old units, in the order
    of the narrow layer's own columns."""
    return (np.arange(GATES * new_units) % new_units) < old_units


def _widened(old: np.ndarray, fresh: np.ndarray, old_units: int, new_units: int) -> np.ndarray:
    """``fresh`` (a wide layer's initial kernel, recurrent kernel or bias) with the old units'
    columns taken from ``old`` on the old rows and zero on the new rows."""
    out = fresh.copy()
    cols = _old_columns(old_units, new_units)
    if out.ndim == 1:
        out[cols] = old
        return out
    out[:, cols] = 0.0  # an old unit reads no new row
    out[np.ix_(np.arange(old.shape[0]), np.flatnonzero(cols))] = old
    return out


def widen(narrow: CharLSTM, wide: CharLSTM) -> None:
    """Set ``wide``'s weights from ``narrow`` (same layers, embedding and vocabulary; at least
    as many units), keeping ``wide``'s initial values where a new unit reads.

    Raises:
        ValueError: the two differ in anything but the units, or ``wide`` is narrower.
    """
    have, want = ({k: getattr(m, k) for k in ("vocab_size", "num_layers", "embedding_dim")}
                  for m in (narrow, wide))
    if have != want:
        raise ValueError(f"widen: layers, embedding and vocabulary must match: {have} vs {want}")
    old_u, new_u = narrow.units, wide.units
    if new_u < old_u:
        raise ValueError(f"widen: {new_u} units is narrower than {old_u}")
    wide.embedding.set_weights(narrow.embedding.get_weights())
    for small, big in zip(narrow.rnns, wide.rnns, strict=True):
        big.set_weights([_widened(old, fresh, old_u, new_u)
                         for old, fresh in zip(small.get_weights(), big.get_weights(), strict=True)])
    head_kernel, head_bias = narrow.head.get_weights()
    kernel = np.zeros(wide.head.get_weights()[0].shape, dtype=head_kernel.dtype)
    kernel[:old_u] = head_kernel
    wide.head.set_weights([kernel, head_bias])

