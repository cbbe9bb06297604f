"""Can a batch-1 step read the writer's float16 weights in place? Four ways, timed side by side.

At batch 1 the sampling step reads every weight once per character, so with weights
that outgrow the cache its speed is set by bytes read. The shipped writer stores its
weights in float16; a float32 step that read them as float16 would read half as much.
This times, in one process and one compiled ``tf.while_loop`` each, the products of a
batch-1 state with the writer's three large matrices (layer 1's recurrent, layer 2's
input and recurrent ones) computed four ways:

- ``float32``: float32 weights and ``tf.matmul``, as the sampler runs today;
- ``float16 cast``: float16 weights cast to float32 inside the loop, then ``tf.matmul``
  (it also reports whether XLA hoisted the cast out of the loop, which makes this the
  float32 case again);
- ``float16 cast, pinned``: the same behind an optimization barrier, so the cast must
  run at every step;
- ``float16 fused``: behind the barrier, the product written as cast, multiply and sum,
  which XLA fuses into one pass over the float16 weights.

Each row's results are compared with the float32 row. The shipped weights are stored in float16,
so the rows differ only by the order of their sums.

Run: ``.venv/bin/python bench/text_half_weights.py [--steps 2000] [--threads 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=REPO_ROOT / "models/checkpoints/wiki_writer.keras")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow intra-op threads (0: its default)")
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf
    from tensorflow.compiler.tf2xla.python import xla  # the optimization barrier; no public name

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    from models.text import checkpoint

    model, _, _ = checkpoint.load(args.checkpoint)
    cells = model.cells
    mats = [cells[0].recurrent_kernel.numpy(), cells[1].kernel.numpy(), cells[1].recurrent_kernel.numpy()]
    units = mats[0].shape[0]

    def product(kind: str, h, w):
        if kind == "float32" or kind == "float16 cast":
            return tf.matmul(h, tf.cast(w, tf.float32))
        w, h = xla.optimization_barrier(w, h)
        if kind == "float16 cast, pinned":
            return tf.matmul(h, tf.cast(w, tf.float32))
        return tf.reduce_sum(h[:, :, None] * tf.cast(w, tf.float32)[None], axis=1)

    def compiled(kind: str):
        dtype = np.float32 if kind == "float32" else np.float16
        weights = [tf.Variable(m.astype(dtype)) for m in mats]

        @tf.function(jit_compile=True)
        def run(h0):
            def body(t, h, total):
                # Each product feeds the next state, as the layers do, so none can be skipped;
                # the feedback is damped so that rounding differences do not grow.
                z = tf.add_n([product(kind, h, w) for w in weights])
                return t + 1, h0 + 1e-3 * tf.tanh(z[:, :units]), total + z

            return tf.while_loop(lambda t, *_: t < args.steps, body,
                                 (tf.constant(0), h0, tf.zeros([1, 4 * units])))[2]

        return run

    h = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, units)).astype(np.float32))
    rows, reference = [], None
    for kind in ("float32", "float16 cast", "float16 cast, pinned", "float16 fused"):
        run = compiled(kind)
        out = run(h).numpy()  # trace and compile
        hlo = run.experimental_get_compiler_ir(h)(stage="optimized_hlo")
        entry = hlo[hlo.index("ENTRY"):].split("\n}")[0]  # the computation around the loop
        best = float("inf")
        for _ in range(args.repeats):
            started = time.perf_counter()
            run(h).numpy()
            best = min(best, time.perf_counter() - started)
        reference = out if reference is None else reference
        rows.append({"kind": kind, "steps_per_s": round(args.steps / best, 1),
                     "cast_hoisted_out_of_loop": kind != "float32" and "convert" in entry,
                     "max_rel_diff": float(np.max(np.abs(out - reference)) / np.max(np.abs(reference)))})
    print(json.dumps({"units": units, "steps": args.steps, "threads": args.threads or "default",
                      "cpu": platform.processor() or platform.machine(), "rows": rows}, indent=1))
    base = rows[0]["steps_per_s"]
    print("| weights and product | steps/s | against float32 | cast hoisted out of the loop | max relative difference |")
    print("|---|---:|---:|---|---:|")
    for row in rows:
        print(f"| {row['kind']} | {row['steps_per_s']:,.0f} | {row['steps_per_s'] / base:.2f}x "
              f"| {'yes' if row['cast_hoisted_out_of_loop'] else 'no'} | {row['max_rel_diff']:.1e} |")


if __name__ == "__main__":
    main()
