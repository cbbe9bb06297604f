"""Score a text checkpoint: ``python -m models.text.evaluate [--checkpoint PATH] --split test``.

Prints exactly one JSON line on stdout, e.g.
``{"dataset": "wikitext-2-raw", "split": "test", "bpc": 1.52, "chars": 1288555, ...}``.
Other tools parse this line: keep its keys.

The raw split is read as ``batch`` contiguous streams with the LSTM state carried
across windows (the first character of each stream is not predicted). Characters
outside the model's vocabulary (0.01% of raw test) are scored as the reserved
unknown symbol.

``--dynamic`` scores the split under dynamic evaluation instead
(:mod:`models.text.dynamic`): segment by segment, each scored before the weights
take a gradient step on it. ``bpc`` is then the dynamic figure; the line adds
``"method": "dynamic"``, its settings, and the static ``static_bpc`` side by side.
Without it ``"method"`` is ``"static"``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKPOINT = REPO_ROOT / "models" / "checkpoints" / "wiki_writer.keras"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bits per character on WikiText-2 raw.")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--split", choices=("valid", "test"), default="test")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--max-chars", type=int, default=0, help="score only the first N chars (0 = all)")
    parser.add_argument("--data-dir", type=Path, default=None)
    dyn = parser.add_argument_group("dynamic evaluation")
    dyn.add_argument("--dynamic", action="store_true", help="adapt the weights to the text as it is read")
    dyn.add_argument("--dyn-method", choices=("rms", "sgd"), default=None)
    dyn.add_argument("--dyn-lr", type=float, default=None)
    dyn.add_argument("--dyn-eps", type=float, default=None)
    dyn.add_argument("--dyn-decay", type=float, default=None)
    dyn.add_argument("--dyn-seg-len", type=int, default=None)
    dyn.add_argument("--dyn-streams", type=int, default=None)
    dyn.add_argument("--dyn-procs", type=int, default=1,
                     help="score N contiguous shards in N processes, each adapting its own weights")
    dyn.add_argument("--dyn-shard", default=None, help=argparse.SUPPRESS)  # "K/N": one shard's bits
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.dynamic and args.dyn_procs > 1 and not args.dyn_shard:
        return _run_shards(argv if argv is not None else sys.argv[1:], args)
    shard = tuple(int(v) for v in args.dyn_shard.split("/")) if args.dyn_shard else None  # (k, n)
    if shard:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(max(1, (os.cpu_count() or 1) // shard[1]))

    from models.text import checkpoint, data
    from models.text.train import evaluate_bpc
    from models.text.vocab import UNK_ID

    model, vocab, meta = checkpoint.load(args.checkpoint)
    text = data.load_raw(args.split, args.data_dir)
    if args.max_chars:
        text = text[: args.max_chars]
    ids = vocab.encode_array(text)
    unknown = int((ids == UNK_ID).sum())
    started = time.perf_counter()
    bpc, chars = None, 0
    if not shard or shard[0] == 0:  # shard 0 scores the static side
        bpc, chars = evaluate_bpc(model, ids, batch=args.batch, seq_len=args.seq_len)
    extra: dict = {"method": "static"}
    if args.dynamic:
        from models.text import dynamic

        cfg = dynamic.config_from(meta.get("dynamic_eval", {}).get("settings", {}),
                                  method=args.dyn_method, lr=args.dyn_lr, decay=args.dyn_decay,
                                  eps=args.dyn_eps, seg_len=args.dyn_seg_len, streams=args.dyn_streams)
        ms = None
        if cfg.method == "rms":
            train_ids = vocab.encode_array(data.load_train(args.data_dir))
            ms = dynamic.gradient_ms(model, train_ids, seg_len=cfg.seg_len, batches=cfg.ms_batches)
        extra = {"method": "dynamic", "static_bpc": None if bpc is None else round(bpc, 4),
                 "dynamic": cfg.to_dict()}
        if shard:
            k, n = shard
            lo, hi = len(ids) * k // n, len(ids) * (k + 1) // n
            ids = ids[lo:min(len(ids), hi + 1)]
        bpc, chars = dynamic.dynamic_bpc(model, ids, cfg, ms=ms)
        extra["bits"] = bpc * chars
        if shard:
            extra["shard"] = args.dyn_shard
    print(json.dumps({
        "dataset": "wikitext-2-raw",
        "split": args.split,
        "bpc": round(bpc, 4),
        "chars": chars,
        **extra,
        "unknown_chars": unknown,
        "checkpoint": str(args.checkpoint),
        "params": int(model.count_params()),
        "train_seconds": meta.get("train_seconds"),
        "steps": meta.get("steps"),
        "seconds": round(time.perf_counter() - started, 1),
    }), flush=True)
    return 0


def _run_shards(argv: list[str], args: argparse.Namespace) -> int:
    """Run ``--dyn-procs`` shard processes side by side and print their combined line."""
    procs = [subprocess.Popen([sys.executable, "-m", "models.text.evaluate", *argv,
                               "--dyn-shard", f"{k}/{args.dyn_procs}"],
                              stdout=subprocess.PIPE, text=True)
             for k in range(args.dyn_procs)]
    started = time.perf_counter()
    lines = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            print(f"error: shard process exited with {proc.returncode}", file=sys.stderr)
            return proc.returncode or 1
        lines.append(json.loads(out.strip().splitlines()[-1]))
    bits = sum(line["bits"] for line in lines)
    chars = sum(line["chars"] for line in lines)
    lines[0].pop("shard", None)
    result = {**lines[0], "bpc": round(bits / chars, 4), "chars": chars, "bits": round(bits, 1),
              "procs": args.dyn_procs, "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
