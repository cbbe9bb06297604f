"""Frame NLL of a shipped music model on a Boulanger split, as one JSON line.

    python -m models.music.evaluate --model lstm --dataset jsb --split test
        [--checkpoint PATH] [--data-dir DIR] [--start STEPS]

Prints ``{"model": M, "dataset": D, "split": S, "nll": float, "frames": int, ...}``
with the frame NLL (frame t+1 given frames <= t, natural log, summed over
the split, divided by the number of predicted frames). Models that estimate
their likelihood add ``"estimate": true``; the encoder-decoder adds
``"primer_steps"`` (the frames it reads before the NLL starts); a model trained
on more than the benchmark's train split (``--extra-data``) adds ``"train_data"``,
its sidecar's dataset, since its figure is then no benchmark row. Other tools
parse this line: keep its keys.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from models.music import registry
from models.music.datasets import BOULANGER, SPLITS, load_boulanger


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, choices=sorted(registry.KINDS))
    parser.add_argument("--dataset", required=True, choices=sorted(BOULANGER))
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="default: models/checkpoints/music_<model>_<genre of dataset>.keras")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--start", type=int, default=None,
                        help="score only frames START..T-1, each given every frame before it "
                             "(the comparable NLL of models.music.quality uses 4 bars)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    path = args.checkpoint or registry.checkpoint_path(
        args.model, registry.DATASET_GENRES[args.dataset]
    )
    model, config, sidecar = registry.load(path)
    if sidecar.get("kind") != args.model:
        raise SystemExit(f"{path} holds a {sidecar.get('kind')!r} model, not {args.model!r}")
    rolls = load_boulanger(args.dataset, args.data_dir)[args.split]
    started = time.perf_counter()
    kwargs = {} if args.start is None else {"start": args.start}
    result = registry.module(args.model).frame_nll(model, config, rolls, **kwargs)
    line = {
        "model": args.model,
        "dataset": args.dataset,
        "split": args.split,
        "nll": float(result["nll"]),
        "frames": int(result["frames"]),
    }
    if args.start is not None:
        line["start"] = args.start
    for key, value in result.items():
        if key not in line and not (key == "estimate" and not value):
            line[key] = value
    if sidecar.get("extra_data"):
        # trained on more than the benchmark's train split: not a benchmark row
        line["train_data"] = sidecar.get("dataset")
    line["checkpoint"] = str(path)
    line["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
