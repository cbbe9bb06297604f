"""AIS estimates of RBM partition functions against exact enumeration."""

import numpy as np
import pytest

from models.music import ais


def small_rbms(n=3, visible=10, hidden=6, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 1.0, (visible, hidden)).astype(np.float32)
    b_v = rng.normal(0.0, 1.0, (n, visible)).astype(np.float32)
    b_h = rng.normal(0.0, 1.0, (n, hidden)).astype(np.float32)
    return w, b_v, b_h


def test_exact_enumeration_is_symmetric_in_the_layers():
    w, b_v, b_h = small_rbms(n=1, visible=7, hidden=5)
    by_hidden = ais.exact_log_partition(w, b_v[0], b_h[0])  # enumerates the 5 hidden units
    # Enumerate the 7 visible units by hand.
    states = np.array([[(s >> i) & 1 for i in range(7)] for s in range(2**7)], np.float64)
    log_p = states @ b_v[0] + np.logaddexp(0.0, states @ w + b_h[0]).sum(axis=1)
    assert by_hidden == pytest.approx(np.logaddexp.reduce(log_p), abs=1e-9)


def test_ais_matches_exact_partition_function():
    w, b_v, b_h = small_rbms()
    exact = np.array([ais.exact_log_partition(w, b_v[i], b_h[i]) for i in range(3)])
    estimate = ais.ais_log_partition(w, b_v, b_h, chains=100, betas=500, seed=1)
    np.testing.assert_allclose(estimate, exact, atol=0.05)


def test_ais_is_exact_without_weights_and_reproducible():
    w, b_v, b_h = small_rbms()
    w = np.zeros_like(w)
    exact = [ais.exact_log_partition(w, b_v[i], b_h[i]) for i in range(3)]
    estimate = ais.ais_log_partition(w, b_v, b_h, chains=2, betas=3, seed=0)
    np.testing.assert_allclose(estimate, exact, atol=1e-4)
    w2, b_v2, b_h2 = small_rbms(seed=5)
    a = ais.ais_log_partition(w2, b_v2, b_h2, chains=4, betas=20, seed=7)
    b = ais.ais_log_partition(w2, b_v2, b_h2, chains=4, betas=20, seed=7)
    np.testing.assert_array_equal(a, b)


def test_betas_schedule():
    betas = ais.linear_betas(11)
    assert betas[0] == 0.0 and betas[-1] == pytest.approx(1.0)
    assert np.all(np.diff(betas) > 0)
    with pytest.raises(ValueError):
        ais.linear_betas(1)
