"""Random piano rolls and tiny models for the music model tests (not a test module)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from models.music.datasets import NUM_KEYS


def tiny_model(mod: Any, seed: int = 0) -> tuple[keras.Model, Any]:
    """``(model, config)``: a fresh model of the module ``mod`` in its tiny config, seeded."""
    keras.utils.set_random_seed(seed)
    config = mod.Config.tiny()
    return mod.build_model(config), config


def band_rolls(seed: int = 0, lengths=(12, 20, 7), low: int = 30, high: int = 50, p: float = 0.2) -> list[np.ndarray]:
    """Rolls of the given lengths whose keys ``low..high-1`` each sound with probability ``p``."""
    rng = np.random.default_rng(seed)
    rolls = []
    for t in lengths:
        roll = np.zeros((t, NUM_KEYS), np.uint8)
        roll[:, low:high] = rng.random((t, high - low)) < p
        rolls.append(roll)
    return rolls


def random_rolls(n: int, seed: int = 0, low: int = 10, high: int = 40) -> list[np.ndarray]:
    """``n`` rolls of ``low..high`` steps, three keys of 30..59 sounding at every step."""
    rng = np.random.default_rng(seed)
    rolls = []
    for _ in range(n):
        t = int(rng.integers(low, high))
        roll = np.zeros((t, NUM_KEYS), np.uint8)
        for step in range(t):
            roll[step, rng.choice(np.arange(30, 60), size=3, replace=False)] = 1
        rolls.append(roll)
    return rolls
