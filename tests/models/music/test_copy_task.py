"""The copy task of seed 002 must be learned: >= 99 % exact copies of held-out sequences."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from models.music import copy_task as ct


def test_encode_layout():
    cfg = ct.Config()
    enc, dec_in, targets = ct.encode([(5, 7, 2)], cfg)
    assert enc.tolist() == [[5, 7, 2, 0, 0, 0, 0, 0]]
    assert dec_in.tolist() == [[ct.EOS, 5, 7, 2, 0, 0, 0, 0, 0]]
    assert targets.tolist() == [[5, 7, 2, ct.EOS, 0, 0, 0, 0, 0]]


def test_strip_requires_eos():
    assert ct.strip([4, 5, ct.EOS, 3]) == (4, 5)
    assert ct.strip([4, 5, 6]) != (4, 5, 6)


def test_architecture_matches_the_seed():
    cfg = ct.Config()
    assert (cfg.vocab_size, cfg.embedding, cfg.encoder_units, cfg.decoder_units) == (10, 20, 20, 40)
    model = ct.build_model(cfg)
    assert model.get_layer("embedding").output_dim == 20
    assert model.get_layer("encoder").forward_layer.units == 20
    assert model.get_layer("decoder").units == 40


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_copy_task_reaches_99_percent_on_held_out_sequences():
    cfg = ct.Config()
    held_out = ct.random_sequences(np.random.default_rng(2024), 2000, cfg)
    # Sequences of length >= 4 (4096+ possibilities each) never appear in training;
    # the 64 / 512 sequences of length 2 / 3 cannot be held out by sampling.
    # Training stops at 99.8 % on its own validation set (2,000 steps, against 3,400 for
    # 99.9 %), which leaves the held-out 99 % a margin of about 0.8 points.
    model, info = ct.train(
        cfg, seed=0, max_seconds=150, exclude=[s for s in held_out if len(s) >= 4],
        target_accuracy=0.998, check_every=50,
    )
    accuracy = ct.exact_accuracy(info["decode"], held_out, cfg)
    long_only = [s for s in held_out if len(s) >= 4]
    long_accuracy = ct.exact_accuracy(info["decode"], long_only, cfg)
    print(f"copy task: {info['steps']} steps, {info['seconds']:.1f}s, held-out {accuracy:.4f}")
    assert accuracy >= 0.99
    assert long_accuracy >= 0.99
