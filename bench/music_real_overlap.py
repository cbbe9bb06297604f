"""The statistics overlap that real music gets: the ceiling of the genre check's overlap target.

    python bench/music_real_overlap.py [--genres G ...] [--windows 50] [--draws 1] [--train-in-c]

The genre check (``quality.check_clips``) compares 50 generated 30 s clips with every
30 s window of the genre's valid split. Here the same comparison is made with
``--windows`` windows of *real* music instead: from the train split (what a model
that learned its training data perfectly would write) and from the test split. Where
real train windows do not reach the 0.7 target, no model trained on them can be
expected to. ``--draws N`` repeats the draw of windows with seeds 1..N and prints the
range; ``--train-in-c`` first moves each train piece to C, as ``models.music.train
--train-in-c`` does. Prints one line per genre and a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from models.music import classifier as clf  # noqa: E402
from models.music import corpus, quality  # noqa: E402
from models.music.datasets import load_genre  # noqa: E402
from models.music.genres import GENRES, get_genre  # noqa: E402
from models.music.metrics import FEATURES, compare_sets, sample_statistics  # noqa: E402
from models.music.stats import windows  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genres", nargs="+", default=list(GENRES), choices=list(GENRES))
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--draws", type=int, default=1, help="draws of windows (seeds 1..N)")
    parser.add_argument("--train-in-c", action="store_true", help="move each train piece to C first")
    args = parser.parse_args(argv)
    rows = []
    for genre in args.genres:
        g = get_genre(genre)
        data = load_genre(genre)
        if args.train_in_c:
            data, _ = corpus.train_in_c(data, g.steps_per_beat)
        steps = clf.clip_steps(genre)

        def stat(roll: np.ndarray, g=g) -> dict:
            return sample_statistics(roll, g.steps_per_beat, beats_per_bar=g.beats_per_bar)

        reference = [stat(w) for w in windows(data[quality.CHECK_SPLIT], steps, 500)]
        row = [genre, f"{len(data[quality.CHECK_SPLIT])} pieces, {len(reference)} windows"]
        for split in ("train", "test"):
            scores = []
            for seed in range(1, args.draws + 1):
                real = windows(data[split], steps, args.windows, seed=seed)
                cmp = compare_sets([stat(w) for w in real], reference)
                scores.append(float(np.nanmean([cmp[f]["overlap"] for f in FEATURES])))
            spread = f", {args.draws} draws: {min(scores):.3f}-{max(scores):.3f}" if args.draws > 1 else ""
            row.append(f"{scores[0]:.3f} ({len(real)}{spread})")
        print("  ".join(row), flush=True)
        rows.append(row)
    print(f"\n| genre | {quality.CHECK_SPLIT} split (the reference) | train windows: mean overlap | "
          "test windows: mean overlap |")
    print("| --- | --- | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
