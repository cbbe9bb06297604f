"""The statistics overlap that real music gets: the ceiling of the genre check's overlap target.

    python bench/music_real_overlap.py [--genres G ...] [--windows 50]

The genre check (``quality.check_clips``) compares 50 generated 30 s clips with every
30 s window of the genre's valid split. Here the same comparison is made with
``--windows`` windows of *real* music instead: from the train split (what a model
that learned its training data perfectly would write) and from the test split. Where
real train windows do not reach the 0.7 target, no model trained on them can be
expected to. Prints one line per genre and a Markdown table.
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
from models.music import quality  # noqa: E402
from models.music.datasets import load_genre  # noqa: E402
from models.music.genres import GENRES, get_genre  # noqa: E402
from models.music.metrics import FEATURES, compare_sets, sample_statistics  # noqa: E402
from models.music.stats import windows  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genres", nargs="+", default=list(GENRES), choices=list(GENRES))
    parser.add_argument("--windows", type=int, default=50)
    args = parser.parse_args(argv)
    rows = []
    for genre in args.genres:
        g = get_genre(genre)
        data = load_genre(genre)
        steps = clf.clip_steps(genre)

        def stat(roll: np.ndarray, g=g) -> dict:
            return sample_statistics(roll, g.steps_per_beat, beats_per_bar=g.beats_per_bar)

        reference = [stat(w) for w in windows(data[quality.CHECK_SPLIT], steps, 500)]
        row = [genre, f"{len(data[quality.CHECK_SPLIT])} pieces, {len(reference)} windows"]
        for split in ("train", "test"):
            real = windows(data[split], steps, args.windows, seed=1)
            cmp = compare_sets([stat(w) for w in real], reference)
            row.append(f"{np.nanmean([cmp[f]['overlap'] for f in FEATURES]):.3f} ({len(real)})")
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
