"""Stopping at the sentence end an article is cut at: the same articles, fewer steps.

The shipped writer writes ``--seeds`` articles of ``--chars`` characters as a /wiki job
does, once running to the length plus the ending slack and once stopping where
``end_cleanly`` will cut; it prints how many cut articles are identical and the mean
number of characters (steps) written each way.

Run: ``.venv/bin/python bench/text_sentence_stop.py``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.text.format import ENDING_SLACK, end_cleanly  # noqa: E402
from workers import model_cache  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("models/checkpoints/wiki_writer.keras"))
    parser.add_argument("--chars", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--prompt", default="The old bridge")
    args = parser.parse_args()
    generator = model_cache.get_text_model(args.checkpoint).generator
    same, full_chars, early_chars = 0, 0, 0
    for seed in range(args.seeds):
        kw = dict(temperature=0.8, top_p=0.95, seed=[seed], stop_at_end=True, min_chars=[args.chars])
        full = generator.generate([args.prompt], args.chars + ENDING_SLACK, **kw)[0]
        early = generator.generate([args.prompt], args.chars + ENDING_SLACK, stop_after=[args.chars],
                                   stop_slack=ENDING_SLACK, **kw)[0]
        keep = len(args.prompt)
        same += end_cleanly(full, keep, args.chars) == end_cleanly(early, keep, args.chars)
        full_chars += len(full) - keep
        early_chars += len(early) - keep
    print(f"{same} of {args.seeds} articles identical; characters written on average: "
          f"{full_chars / args.seeds:.1f} to the slack, {early_chars / args.seeds:.1f} stopping at the cut")


if __name__ == "__main__":
    main()
