"""What top-p costs a batched /wiki generate: batch 1 and 16, with and without the nucleus.

The shipped writer writes ``--chars`` characters per row (minimum length and stop as a
/wiki job of that length), best of ``--repeats`` after a warm-up, at each top-p given.
It prints one line per setting and the batch-16 / batch-1 ratio of work done per second,
the ceiling of what dynamic batching can give at that top-p.

``--nucleus search sort`` times the shipped sort-free nucleus threshold beside the one it
replaced, which sorts every row's probabilities at each step (defined here, for the
comparison only), in the same run; a setting's articles are checked to be the same
under both.

Run: ``.venv/bin/python bench/text_batch_top_p.py [--nucleus search sort]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tensorflow as tf  # noqa: E402

from models import sampling  # noqa: E402
from models.text.format import ENDING_SLACK  # noqa: E402
from models.text.generate import TextGenerator  # noqa: E402
from workers import model_cache  # noqa: E402


def sorted_threshold(probs, limit):
    """The nucleus threshold by sorting: the least likely symbol whose mass before it is below ``limit``."""
    ordered = tf.sort(probs, direction="DESCENDING")
    before = tf.cumsum(ordered, axis=-1, exclusive=True)
    keep = (before < limit) | (tf.range(tf.shape(ordered)[-1]) == 0)[None, :]
    return tf.reduce_min(tf.where(keep, ordered, tf.ones_like(ordered)), axis=-1, keepdims=True)


NUCLEI = {"search": sampling.nucleus_threshold, "sort": sorted_threshold}


def best_seconds(generator, batch: int, chars: int, top_p: float, repeats: int) -> tuple[float, list[str]]:
    kw = dict(temperature=0.8, top_p=top_p, seed=list(range(batch)), stop_at_end=True,
              min_chars=[chars] * batch, stop_after=[chars] * batch, stop_slack=ENDING_SLACK)
    prompts = ["The old bridge"] * batch
    texts = generator.generate(prompts, chars + ENDING_SLACK, **kw)  # compile this bucket
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        generator.generate(prompts, chars + ENDING_SLACK, **kw)
        times.append(time.perf_counter() - started)
    return min(times), texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("models/checkpoints/wiki_writer.keras"))
    parser.add_argument("--chars", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top-p", type=float, nargs="+", default=[0.95, 1.0])
    parser.add_argument("--nucleus", nargs="+", choices=sorted(NUCLEI), default=["search"],
                        help="nucleus thresholds to time side by side (search: the shipped one)")
    args = parser.parse_args()
    loaded = model_cache.get_text_model(args.checkpoint)
    shipped = sampling.nucleus_threshold
    texts = {}
    try:
        for top_p in args.top_p:
            for nucleus in args.nucleus:
                sampling.nucleus_threshold = NUCLEI[nucleus]  # read when the generator traces
                generator = TextGenerator(loaded.model, loaded.vocab)
                one, texts_1 = best_seconds(generator, 1, args.chars, top_p, args.repeats)
                sixteen, texts_16 = best_seconds(generator, 16, args.chars, top_p, args.repeats)
                same = texts.setdefault(top_p, (texts_1, texts_16)) == (texts_1, texts_16)
                print(f"top-p {top_p:g}, nucleus {nucleus}: batch 1 {one:.3f} s, batch 16 {sixteen:.3f} s, "
                      f"16-row batch does {16 * one / sixteen:.2f}x the work per second of batch 1"
                      f"{'' if same else '; ARTICLES DIFFER from the first nucleus timed'}")
    finally:
        sampling.nucleus_threshold = shipped


if __name__ == "__main__":
    main()
