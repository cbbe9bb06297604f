"""How long the Wikipedia writer's /wiki articles are, with and without a minimum length.

``python bench/text_article_lengths.py [--checkpoint PATH] [--articles 32] [--length 1000]``
writes ``--articles`` articles for each of two seeds exactly as a /wiki job does
(temperature 0.8, top-p 0.95, ``length + ENDING_SLACK`` characters, stopping at a new
article, then ``end_cleanly``), once with ``min_chars`` = the requested length (what the
worker does) and once without it, side by side with the same row seeds. Prints one JSON
object: per setting, the article lengths' quartiles and how many fall short of 80 % of
the requested length.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEEDS = ("I plan to make the world a better place by", "The river")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=REPO_ROOT / "models/checkpoints/wiki_writer.keras")
    parser.add_argument("--articles", type=int, default=32, help="articles per seed and setting")
    parser.add_argument("--length", type=int, default=1000)
    args = parser.parse_args(argv)

    import numpy as np

    from models.text import checkpoint
    from models.text.format import ENDING_SLACK, end_cleanly
    from models.text.generate import TextGenerator

    model, vocab, _ = checkpoint.load(args.checkpoint)
    generator = TextGenerator(model, vocab)
    report: dict = {"checkpoint": str(args.checkpoint), "length": args.length, "articles": args.articles,
                    "per_seed": len(SEEDS), "machine": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count()}
    for name, minimum in (("no minimum", 0), ("min_chars = length", args.length)):
        lengths = []
        for k, seed in enumerate(SEEDS):
            texts = generator.generate([seed] * args.articles, args.length + ENDING_SLACK, temperature=0.8,
                                       top_p=0.95, seed=1000 * (k + 1), stop_at_end=True, min_chars=minimum)
            lengths += [len(end_cleanly(t, len(seed), args.length)) - len(seed) for t in texts]
        q = np.percentile(lengths, [25, 50, 75]).round().astype(int).tolist()
        report[name] = {"quartiles": q, "shortest": min(lengths),
                        "under_80_percent": sum(n < 0.8 * args.length for n in lengths), "of": len(lengths)}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
