"""What every shipped music checkpoint scores on a small fixed slice of its genre's test split.

    python -m tests.models.music.shipped_scores    # rewrite shipped_scores.json

The slice is the first ``PIECES`` test pieces of the genre, each cut to its first ``STEPS``
frames. Each checkpoint is loaded with :func:`models.music.registry.load` and scored with
its kind's own ``frame_nll`` (defaults included: the RBM kinds' AIS schedule of their
config, seed 0); the checkpoints of ``CLIP_GENRE`` also draw a short clip with their kind's
``generate`` from a fixed seed.
``test_shipped_targets`` recomputes both and compares them with the JSON fixture, so a
change to how a model is built, loaded, scored or sampled that moves a figure fails there.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from models.music import registry

PIECES = 2
STEPS = 40
CLIP_GENRE = "chorale"  # one genre's checkpoints also draw a clip (sampling compiles slowly)
CLIP_STEPS = 8  # frames of that clip (seed 0, temperature 1, half the first piece as primer)
FIXTURE = Path(__file__).with_name("shipped_scores.json")


@functools.cache
def genre_slice(genre: str) -> list[np.ndarray]:
    """The first ``PIECES`` test pieces of ``genre``, each cut to ``STEPS`` frames."""
    return [roll[:STEPS] for roll in registry.load_genre_data(genre)["test"][:PIECES]]



def score(kind: str, path: Path, rolls: list[np.ndarray], clip: bool) -> dict[str, Any]:
    """``{"nll", "frames", "estimate"}`` (and ``"clip_sha256"`` when ``clip``) of the checkpoint at ``path``."""
    model, config, _ = registry.load(path)
    mod = registry.module(kind)
    result = mod.frame_nll(model, config, rolls)
    out: dict[str, Any] = {"nll": float(result["nll"]), "frames": int(result["frames"]),
                           "estimate": bool(result.get("estimate", False))}
    if clip:
        roll = mod.generate(model, config, CLIP_STEPS, seed=0, primer=rolls[0][: STEPS // 2])
        out["clip_sha256"] = hashlib.sha256(np.ascontiguousarray(roll, np.uint8).tobytes()).hexdigest()
    return out


def scores() -> dict[str, dict[str, Any]]:
    """``{checkpoint stem: score}`` of every shipped music checkpoint."""
    return {registry.checkpoint_name(kind, genre): score(kind, path, genre_slice(genre), genre == CLIP_GENRE)
            for (kind, genre), path in sorted(registry.shipped().items())}


def main() -> int:
    data = {"pieces": PIECES, "steps": STEPS, "clip_genre": CLIP_GENRE, "clip_steps": CLIP_STEPS, "scores": scores()}
    FIXTURE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(data['scores'])} scores to {FIXTURE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
