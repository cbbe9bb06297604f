"""Select dynamic-evaluation settings: a grid of updates scored side by side on one text.

``python bench/text_dynamic_grid.py [--split valid] [--max-chars 30000] [--procs 2] SPEC ...``
where each SPEC is ``METHOD,LR,DECAY[,EPS[,SEG_LEN]]`` (METHOD ``sgd`` or ``rms``), for
example ``rms,3e-4,3e-3,0.1``. The shipped model (or ``--checkpoint``) reads the first
``--max-chars`` characters of the split as one stream, once statically and once per SPEC;
``--procs`` processes share the grid, one intra-op thread each, and the RMS statistics are
the CLI's (:func:`models.text.dynamic.gradient_ms` on the training split, seed 0).

Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHIPPED = REPO_ROOT / "models" / "checkpoints" / "wiki_writer.keras"
_STATE: dict = {}


def _init(checkpoint: str, split: str, max_chars: int, data_dir: str | None) -> None:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    from models.text import checkpoint as ckpt
    from models.text import data

    model, vocab, _ = ckpt.load(checkpoint)
    _STATE.update(model=model, vocab=vocab, data_dir=data_dir,
                  ids=vocab.encode_array(data.load_raw(split, data_dir)[:max_chars or None]))


def _score(spec: str) -> dict:
    from models.text import data
    from models.text.dynamic import DynamicConfig, dynamic_bpc, gradient_ms
    from models.text.train import evaluate_bpc

    model, ids = _STATE["model"], _STATE["ids"]
    started = time.perf_counter()
    if spec == "static":
        bpc, _ = evaluate_bpc(model, ids, batch=1, seq_len=50)
        return {"spec": spec, "bpc": round(bpc, 4), "seconds": round(time.perf_counter() - started, 1)}
    method, lr, decay, *rest = spec.split(",")
    fields = {"method": method, "lr": float(lr), "decay": float(decay)}
    if rest:
        fields["eps"] = float(rest[0])
    if len(rest) > 1:
        fields["seg_len"] = int(rest[1])
    cfg = DynamicConfig(**fields)
    ms = None
    if cfg.method == "rms":
        key = ("ms", cfg.seg_len, cfg.ms_batches)
        if key not in _STATE:
            train = _STATE["vocab"].encode_array(data.load_train(_STATE["data_dir"]))
            _STATE[key] = gradient_ms(model, train, seg_len=cfg.seg_len, batches=cfg.ms_batches)
        ms = _STATE[key]
    bpc, _ = dynamic_bpc(model, ids, cfg, ms=ms)
    return {"spec": spec, **cfg.to_dict(), "bpc": round(bpc, 4),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("specs", nargs="+")
    parser.add_argument("--checkpoint", type=Path, default=SHIPPED)
    parser.add_argument("--split", choices=("valid", "test"), default="valid")
    parser.add_argument("--max-chars", type=int, default=30_000)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--data-dir", type=str, default=None)
    args = parser.parse_args()
    specs = ["static", *args.specs]
    with ProcessPoolExecutor(args.procs, initializer=_init,
                             initargs=(str(args.checkpoint), args.split, args.max_chars, args.data_dir)) as pool:
        rows = list(pool.map(_score, specs))
    print(f"{args.split}, first {args.max_chars:,} chars, one stream, {args.checkpoint.name}\n")
    print("| update | lr | decay | eps | segment | bpc | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["spec"] == "static":
            print(f"| static | | | | | {r['bpc']:.4f} | {r['seconds']} |")
        else:
            eps = r["eps"] if r["method"] == "rms" else ""
            print(f"| {r['method']} | {r['lr']:g} | {r['decay']:g} | {eps} | {r['seg_len']} | {r['bpc']:.4f} | "
                  f"{r['seconds']} |")
    print(json.dumps({"bench": "text_dynamic_grid", "split": args.split, "chars": args.max_chars, "rows": rows}))


if __name__ == "__main__":
    main()
