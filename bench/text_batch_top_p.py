"""What top-p costs a batched /wiki generate: batch 1 and 16, with and without the nucleus.

The shipped writer writes ``--chars`` characters per row (minimum length and stop as a
/wiki job of that length), best of ``--repeats`` after a warm-up, at each top-p given.
It prints one line per setting and the batch-16 / batch-1 ratio of work done per second,
the ceiling of what dynamic batching can give at that top-p.

Run: ``.venv/bin/python bench/text_batch_top_p.py``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.text.format import ENDING_SLACK  # noqa: E402
from workers import model_cache  # noqa: E402


def best_seconds(generator, batch: int, chars: int, top_p: float, repeats: int) -> float:
    kw = dict(temperature=0.8, top_p=top_p, seed=list(range(batch)), stop_at_end=True,
              min_chars=[chars] * batch, stop_after=[chars] * batch, stop_slack=ENDING_SLACK)
    prompts = ["The old bridge"] * batch
    generator.generate(prompts, chars + ENDING_SLACK, **kw)  # compile this bucket
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        generator.generate(prompts, chars + ENDING_SLACK, **kw)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("models/checkpoints/wiki_writer.keras"))
    parser.add_argument("--chars", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top-p", type=float, nargs="+", default=[0.95, 1.0])
    args = parser.parse_args()
    generator = model_cache.get_text_model(args.checkpoint).generator
    for top_p in args.top_p:
        one = best_seconds(generator, 1, args.chars, top_p, args.repeats)
        sixteen = best_seconds(generator, 16, args.chars, top_p, args.repeats)
        print(f"top-p {top_p:g}: batch 1 {one:.3f} s, batch 16 {sixteen:.3f} s, "
              f"16-row batch does {16 * one / sixteen:.2f}x the work per second of batch 1")


if __name__ == "__main__":
    main()
