"""Dynamic evaluation's speed: the shipped segment gradients against a plain tape, side by side.

``python bench/text_dynamic_speed.py [--checkpoint PATH] [--chars 10001] [--seg-len 50]
[--threads 1] [--rounds 2]``

Both read the first ``--chars`` characters of raw valid as one stream with the same
update (SGD, lr 0.1, decay 3e-3) through :func:`models.text.dynamic.make_dynamic_step`;
only the gradient differs. ``tape`` (:func:`models.text.dynamic.tape_loss_and_grads`)
differentiates ``model(x, states)`` as it stands:
Keras' LSTM (or the scratch one) adds each step's recurrent-kernel outer product into an
accumulator in the backward loop. ``segment`` is
:func:`models.text.dynamic.segment_loss_and_grads`. Each step is traced and warmed on
one segment first; the rounds alternate the two. Prints a Markdown table and one JSON
line, with the largest difference between the two runs' per-character bits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHIPPED = REPO_ROOT / "models" / "checkpoints" / "wiki_writer.keras"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=SHIPPED)
    parser.add_argument("--chars", type=int, default=10_001)
    parser.add_argument("--seg-len", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from models.text import checkpoint, data
    from models.text.dynamic import (
        DynamicConfig,
        make_dynamic_step,
        segment_loss_and_grads,
        tape_loss_and_grads,
    )
    from models.text.train import char_bits

    model, vocab, _ = checkpoint.load(args.checkpoint)
    ids = vocab.encode_array(data.load_raw("valid")[: args.chars]).astype(np.int32)
    cfg = DynamicConfig(method="sgd", lr=0.1, decay=3e-3, seg_len=args.seg_len)
    steps = {"tape": make_dynamic_step(model, cfg, loss_and_grads=tape_loss_and_grads),
             "segment": make_dynamic_step(model, cfg, loss_and_grads=segment_loss_and_grads)}
    lengths = {args.seg_len, (len(ids) - 1) % args.seg_len} - {0}
    for step in steps.values():  # trace every segment shape the run will see
        for n in lengths:
            zeros = [tf.zeros([1, model.units])] * (2 * model.num_layers)
            step(ids[None, :n], ids[None, 1:n + 1], zeros)
        step.restore()
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    bits: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, step in steps.items():
            started = time.perf_counter()
            try:
                bits[name] = char_bits(model, ids, batch=1, seq_len=args.seg_len, eval_fn=step)
            finally:
                step.restore()
            seconds[name].append(time.perf_counter() - started)
    chars = int(bits["segment"].size)
    rows = [{"gradient": name, "seconds": [round(s, 2) for s in seconds[name]],
             "chars_per_s": round(chars / min(seconds[name]), 1), "bpc": round(float(bits[name].mean()), 5)}
            for name in steps]
    speedup = min(seconds["tape"]) / min(seconds["segment"])
    diff = float(np.abs(bits["tape"] - bits["segment"]).max())
    print(f"{args.checkpoint.name}, {chars:,} chars of raw valid, one stream, segments of {args.seg_len}, "
          f"{args.threads} thread(s)\n")
    print("| gradient | seconds (each round) | chars/s (best) | bpc |")
    print("|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['gradient']} | {' / '.join(map(str, r['seconds']))} | {r['chars_per_s']:,} | {r['bpc']:.5f} |")
    print(f"\nsegment against tape: {speedup:.2f}x; largest per-character difference {diff:.2e} bits")
    print(json.dumps({"bench": "text_dynamic_speed", "chars": chars, "seg_len": args.seg_len,
                      "threads": args.threads, "rows": rows, "speedup": round(speedup, 2), "max_bits_diff": diff}))


if __name__ == "__main__":
    main()
