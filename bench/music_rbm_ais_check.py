"""How far the AIS estimate of an RBM model's frame NLL is from converged.

    python bench/music_rbm_ais_check.py [--model rnn_rbm] [--genre chorale] [--split test]
        [--frames 500] [--chains 4] [--betas 30,100,300,1000] [--checkpoint PATH]

Scores the same evenly spaced frames of a Boulanger split with more and more
inverse temperatures. AIS underestimates log Z on average, so the estimated NLL
rises with the number of betas until it converges: the shipped figure (the
sidecar's ``ais_betas``) is trustworthy when the rows above it agree with it.
Prints one JSON line per schedule.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from models.music import registry  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="rnn_rbm", choices=("rbm", "rnn_rbm"))
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--split", default="test")
    parser.add_argument("--frames", type=int, default=500)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--betas", default="30,100,300,1000")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="a .keras file of --model (default: the shipped one for --genre)")
    args = parser.parse_args()

    model, config, _ = registry.load(args.checkpoint or registry.checkpoint_path(args.model, args.genre))
    config.ais_chains = args.chains
    rolls = registry.load_genre_data(args.genre)[args.split]
    mod = registry.module(args.model)
    for betas in (int(b) for b in args.betas.split(",")):
        started = time.perf_counter()
        out = mod.frame_nll(model, config, rolls, max_frames=args.frames, betas=betas)
        out.update(model=args.model, genre=args.genre, split=args.split,
                   seconds=round(time.perf_counter() - started, 1))
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
