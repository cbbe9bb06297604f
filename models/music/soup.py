"""A greedy "model soup": the average of the weights of fine-tunes that share a start.

    python -m models.music.soup --model nade --genre chorale --out DIR CKPT [CKPT ...]

Fine-tunes of one checkpoint with different regularisation (dropout, input dropout)
land in one basin of the loss, so the average of their weights is a model too, and
often a better one than any of them (Wortsman et al. 2022, "Model soups"). The recipe
is theirs: order the ingredients by validation NLL, start from the best, and add each
next one only if the average with it scores better on the validation split. Nothing
here looks at the test split except the one figure it reports for the soup it chose.

Only exact likelihoods qualify (an AIS estimate is too noisy to choose by). Writes
``DIR/music_<kind>_<genre>.keras`` and its sidecar: the best ingredient's config and
date, the soup's own metrics, every ingredient with its valid NLL and whether it was
kept, and the command. The genre checks are not carried over: rerun
``bench/music_genre_checks.py`` on the soup before it ships.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.music import registry

Weights = list[np.ndarray]


def average(weights: Sequence[Weights]) -> Weights:
    """The element-wise mean of several models' weight lists (same shapes, same order)."""
    return [np.mean([w[i] for w in weights], axis=0) for i in range(len(weights[0]))]


def greedy(ingredients: Sequence[Weights], score: Callable[[Weights], float]) -> tuple[list[int], float, list[float]]:
    """Greedy soup: indices kept (in the order tried), the soup's score, every ingredient's own score.

    ``score`` is a validation loss (lower is better). The best ingredient starts the soup;
    each other one, best first, stays only if the average with it scores lower.
    """
    own = [score(w) for w in ingredients]
    order = sorted(range(len(ingredients)), key=lambda i: own[i])
    kept, best = [order[0]], own[order[0]]
    for i in order[1:]:
        trial = score(average([ingredients[j] for j in [*kept, i]]))
        if trial < best:
            kept, best = [*kept, i], trial
    return kept, best, own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, choices=sorted(registry.KINDS))
    parser.add_argument("--genre", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("checkpoints", nargs="+", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    started = time.perf_counter()
    loaded = [registry.load(p) for p in args.checkpoints]
    for path, (_, _, side) in zip(args.checkpoints, loaded, strict=True):
        if side.get("kind") != args.model or side.get("genre") != args.genre:
            raise SystemExit(f"{path}: a {side.get('kind')} model of {side.get('genre')}, "
                             f"not {args.model} of {args.genre}")
    shapes = [[w.shape for w in m.get_weights()] for m, _, _ in loaded]
    if any(s != shapes[0] for s in shapes):
        raise SystemExit("the checkpoints differ in architecture: only fine-tunes of one model can be averaged")

    mod = registry.module(args.model)
    data = registry.load_genre_data(args.genre, args.data_dir)
    model, config, _ = loaded[0]  # scores every weight set (dropout, which differs, is off when scoring)

    def nll(weights: Weights, split: str) -> dict[str, Any]:
        model.set_weights(weights)
        result = dict(mod.frame_nll(model, config, data[split]))
        if result.get("estimate"):
            raise SystemExit(f"{args.model}'s likelihood is an estimate: a soup needs an exact one")
        return result

    ingredients = [m.get_weights() for m, _, _ in loaded]
    kept, valid_nll, own = greedy(ingredients, lambda w: float(nll(w, "valid")["nll"]))
    soup = average([ingredients[i] for i in kept])
    best_side = loaded[kept[0]][2]
    test = nll(soup, "test")
    train_nll = float(nll(soup, "train")["nll"])
    model.set_weights(soup)

    name = registry.checkpoint_name(args.model, args.genre)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / f"{name}.keras")
    side = {k: v for k, v in best_side.items() if k not in ("checks", "default")}
    kept_metrics = [loaded[i][2].get("metrics", {}) for i in kept]
    side["metrics"] = {
        "train_nll": train_nll,
        "valid_nll": valid_nll,
        "test_nll": float(test["nll"]),
        "test_frames": int(test["frames"]),
        "train_valid_gap": valid_nll - train_nll,
        "test_estimate": False,
        "epochs": max(int(m.get("epochs", 0)) for m in kept_metrics),
        "stopped": "early" if all(m.get("stopped") == "early" for m in kept_metrics) else "time",
        "soup_of": len(kept),
    }
    side["soup"] = {
        "rule": "greedy on valid NLL (Wortsman et al. 2022): best first, each next kept if the average improves",
        "ingredients": [
            {"checkpoint": str(p), "valid_nll": own[i], "kept": i in kept,
             "config": loaded[i][2].get("config"), "command": loaded[i][2].get("command")}
            for i, p in enumerate(args.checkpoints)
        ],
    }
    side["wall_seconds"] = round(time.perf_counter() - started, 1)
    side["command"] = "python -m models.music.soup " + " ".join(sys.argv[1:] if argv is None else argv)
    registry.sidecar_path(args.out / f"{name}.keras").write_text(json.dumps(side, indent=1) + "\n")
    print(json.dumps({"checkpoint": str(args.out / f"{name}.keras"), "kept": [str(args.checkpoints[i]) for i in kept],
                      **{k: side["metrics"][k] for k in ("valid_nll", "test_nll", "train_nll")}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
