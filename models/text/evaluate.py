"""Score a text checkpoint: ``python -m models.text.evaluate [--checkpoint PATH] --split test``.

Prints exactly one JSON line on stdout, e.g.
``{"dataset": "wikitext-2-raw", "split": "test", "bpc": 1.52, "chars": 1288555, ...}``.
Other tools parse this line: keep its keys.

The raw split is read as ``batch`` contiguous streams with the LSTM state carried
across windows (the first character of each stream is not predicted). Characters
outside the model's vocabulary (0.01% of raw test) are scored as the reserved
unknown symbol.
"""

from __future__ import annotations

import argparse
import json
import os
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
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from models.text import checkpoint, data
    from models.text.train import evaluate_bpc
    from models.text.vocab import UNK_ID

    model, vocab, meta = checkpoint.load(args.checkpoint)
    text = data.load_raw(args.split, args.data_dir)
    if args.max_chars:
        text = text[: args.max_chars]
    ids = vocab.encode_array(text)
    started = time.perf_counter()
    bpc, chars = evaluate_bpc(model, ids, batch=args.batch, seq_len=args.seq_len)
    print(json.dumps({
        "dataset": "wikitext-2-raw",
        "split": args.split,
        "bpc": round(bpc, 4),
        "chars": chars,
        "unknown_chars": int((ids == UNK_ID).sum()),
        "checkpoint": str(args.checkpoint),
        "params": int(model.count_params()),
        "train_seconds": meta.get("train_seconds"),
        "steps": meta.get("steps"),
        "seconds": round(time.perf_counter() - started, 1),
    }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
