"""Partition functions of binary RBMs: annealed importance sampling, and exact enumeration.

The likelihood of an RBM needs ``log Z``, a sum over every visible (or hidden)
configuration. For 88 keys that sum is out of reach, so the RBM models report
an AIS estimate (Neal 2001; Salakhutdinov & Murray 2008), as
Boulanger-Lewandowski et al. (2012) did for the RNN-RBM.

The estimator anneals from a base RBM with no weights and the target's visible
biases (``log Z_A`` is known in closed form) to the target through

    p*_k(v) = exp(b_v . v) prod_j (1 + exp(beta_k (v W + b_h)_j)),   0 = beta_0 < ... < beta_K = 1

with one Gibbs transition at each ``beta_k``. One call handles a batch of RBMs
that share ``W`` but have their own biases (one per frame, as in the RNN-RBM,
whose recurrent state sets the biases). ``exp(mean log w)`` underestimates ``Z``
on average (Jensen), so too few betas make the NLL look better than it is:
compare two schedules before trusting a figure (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf


def free_energy(v: tf.Tensor, w: tf.Tensor, b_v: tf.Tensor, b_h: tf.Tensor, beta: float | tf.Tensor = 1.0) -> tf.Tensor:
    """-log p*(v) with the hidden units summed out: -b_v.v - sum_j softplus(beta (v W + b_h)_j).

    Shapes: ``v`` (..., V), ``w`` (V, H), ``b_v`` (..., V), ``b_h`` (..., H) -> (...,).
    """
    x = tf.linalg.matmul(v, w) + b_h if v.shape.rank == 2 else tf.einsum("...v,vh->...h", v, w) + b_h
    return -tf.reduce_sum(b_v * v, axis=-1) - tf.reduce_sum(tf.math.softplus(beta * x), axis=-1)


def linear_betas(count: int) -> np.ndarray:
    """``count`` inverse temperatures from 0 to 1, denser near 0 (where p* changes fastest)."""
    if count < 2:
        raise ValueError("AIS needs at least 2 betas")
    x = np.linspace(0.0, 1.0, count)
    return (x**2 * 0.5 + x * 0.5).astype(np.float32)  # slope 0.5 at 0, 1.5 at 1


@tf.function(reduce_retracing=True)
def _ais(w: tf.Tensor, b_v: tf.Tensor, b_h: tf.Tensor, betas: tf.Tensor, chains: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    n = tf.shape(b_v)[0]
    n_vis = tf.shape(w)[0]
    n_hid = tf.shape(w)[1]
    bv = tf.repeat(b_v, chains, axis=0)  # (N*M, V): chain m of RBM i is row i*M+m
    bh = tf.repeat(b_h, chains, axis=0)  # (N*M, H)
    u = tf.random.stateless_uniform(tf.shape(bv), seed=tf.stack([seed, tf.constant(-1, tf.int64)]))
    v = tf.cast(u < tf.sigmoid(bv), tf.float32)  # exact sample of the base RBM
    log_w = tf.zeros((n * chains,))
    k_total = tf.shape(betas)[0]
    for k in tf.range(1, k_total):
        beta, prev = betas[k], betas[k - 1]
        x = v @ w + bh  # (N*M, H)
        log_w += tf.reduce_sum(tf.math.softplus(beta * x) - tf.math.softplus(prev * x), axis=-1)
        if k < k_total - 1:  # Gibbs transition that leaves p*_k invariant
            s = tf.stack([seed, tf.cast(k, tf.int64)])
            uh = tf.random.stateless_uniform(tf.shape(x), seed=s)
            h = tf.cast(uh < tf.sigmoid(beta * x), tf.float32)
            uv = tf.random.stateless_uniform(tf.shape(bv), seed=s + tf.constant([0, 1 << 30], tf.int64))
            v = tf.cast(uv < tf.sigmoid(bv + beta * tf.matmul(h, w, transpose_b=True)), tf.float32)
    log_w = tf.reshape(log_w, (n, chains))
    log_mean_w = tf.reduce_logsumexp(log_w, axis=1) - tf.math.log(tf.cast(chains, tf.float32))
    log_z_a = tf.cast(n_hid, tf.float32) * np.log(2.0) + tf.reduce_sum(tf.math.softplus(b_v), axis=-1)
    del n_vis
    return log_z_a + log_mean_w  # (N,)


def ais_log_partition(
    w: np.ndarray | tf.Tensor,
    b_v: np.ndarray | tf.Tensor,
    b_h: np.ndarray | tf.Tensor,
    *,
    chains: int = 16,
    betas: int | np.ndarray = 500,
    seed: int = 0,
    batch: int = 2048,
) -> np.ndarray:
    """AIS estimates of ``log Z`` for RBMs sharing ``w`` (V, H), biases ``b_v`` (N, V), ``b_h`` (N, H).

    Args:
        chains: annealing runs per RBM (their importance weights are averaged).
        betas: number of inverse temperatures (see :func:`linear_betas`) or the schedule.
        seed: seeds a stateless RNG; the same seed gives the same estimate.
        batch: RBMs per call (memory: batch * chains * (V + H) floats).

    Returns:
        (N,) float64 array of estimates of log Z, natural log.
    """
    w = tf.convert_to_tensor(w, tf.float32)
    b_v = np.asarray(b_v, np.float32).reshape(-1, int(w.shape[0]))
    b_h = np.asarray(b_h, np.float32).reshape(-1, int(w.shape[1]))
    schedule = linear_betas(betas) if isinstance(betas, int) else np.asarray(betas, np.float32)
    out = np.zeros(b_v.shape[0], np.float64)
    for start in range(0, b_v.shape[0], batch):
        stop = min(start + batch, b_v.shape[0])
        out[start:stop] = _ais(
            w,
            tf.constant(b_v[start:stop]),
            tf.constant(b_h[start:stop]),
            tf.constant(schedule),
            tf.constant(int(chains), tf.int32),
            tf.constant(int(seed) * 1_000_003 + start, tf.int64),
        ).numpy()
    return out


def exact_log_partition(w: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> float:
    """log Z of one small RBM by enumerating the smaller layer (at most 20 units)."""
    w = np.asarray(w, np.float64)
    b_v = np.asarray(b_v, np.float64)
    b_h = np.asarray(b_h, np.float64)
    if w.shape[0] > w.shape[1]:  # enumerate hidden configurations instead: swap the roles
        w, b_v, b_h = w.T, b_h, b_v
    n = w.shape[0]
    if n > 20:
        raise ValueError("enumeration is limited to 20 units")
    states = np.array(list(itertools.product((0.0, 1.0), repeat=n)))  # (2^n, n)
    log_p = states @ b_v + np.logaddexp(0.0, states @ w + b_h).sum(axis=1)
    top = log_p.max()
    return float(top + np.log(np.exp(log_p - top).sum()))
