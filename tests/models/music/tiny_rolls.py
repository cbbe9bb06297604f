"""Random piano rolls for the music model tests (not a test module)."""

from __future__ import annotations

import numpy as np

from models.music.datasets import NUM_KEYS


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
