"""Training throughput of the char-LSTM: float32 against mixed_bfloat16, by batch size.

``python bench/text_train_speed.py [--seconds 25] [--variants 2x512:64:float32 ...]``
times the real training step of ``models.text.train`` (stateful truncated BPTT,
Adam, clipnorm) on random ids, each variant in its own subprocess (the Keras dtype
policy is global), side by side in one run. A variant is
``LAYERSxUNITS:BATCH:PRECISION`` with sequence length ``--seq-len``. Prints a
Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_VARIANTS = ["2x512:64:float32", "2x512:128:float32", "2x512:64:mixed_bfloat16",
                    "2x512:128:mixed_bfloat16", "2x512:256:mixed_bfloat16",
                    "2x384:64:mixed_bfloat16"]


def measure(variant: str, seq_len: int, seconds: float, vocab: int = 192) -> dict:
    """chars/s of ``variant``'s training step, in this process."""
    shape, batch, precision = variant.split(":")
    layers, units = (int(v) for v in shape.split("x"))
    batch = int(batch)
    from models.text.train import _setup_tf, make_train_step

    tf, keras, on_gpu = _setup_tf(1234, precision)
    import numpy as np

    from models.text.char_lstm import CharLSTMConfig, build_model

    cfg = CharLSTMConfig(layers=layers, units=units, embedding=64, dropout=0.05,
                         precision=precision)
    model = build_model(cfg, vocab)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3, global_clipnorm=1.0)
    optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer, 2 * layers, tf)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.integers(0, vocab, (batch, seq_len)), tf.int32)
    y = tf.constant(rng.integers(0, vocab, (batch, seq_len)), tf.int32)
    states = [tf.zeros([batch, units])] * (2 * layers)
    lr = tf.constant(1e-3)
    for _ in range(3):  # trace and warm up
        loss, states = step(x, y, states, lr)
    n, start, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        loss, states = step(x, y, states, lr)
        float(loss)
        n += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    chars = n * batch * seq_len
    return {"variant": variant, "params": int(model.count_params()), "steps": n,
            "chars_per_s": round(chars / wall), "chars_per_cpu_s": round(chars / cpu)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one variant in this process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.seq_len, args.seconds)), flush=True)
        return 0
    rows = []
    for variant in args.variants:
        out = subprocess.run([sys.executable, __file__, "--one", variant, "--seq-len",
                              str(args.seq_len), "--seconds", str(args.seconds)],
                             check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(f"{variant}: {rows[-1]['chars_per_s']:,} chars/s", file=sys.stderr, flush=True)
    base = rows[0]["chars_per_s"]
    print(f"| variant (layers x units : batch : precision), seq {args.seq_len} | params | chars/s "
          f"| chars per CPU-s | vs first |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['variant']} | {r['params']:,} | {r['chars_per_s']:,} | {r['chars_per_cpu_s']:,} "
              f"| {r['chars_per_s'] / base:.2f}x |")
    print(json.dumps({"bench": "text_train_speed", "load_avg_1m": os.getloadavg()[0], "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
