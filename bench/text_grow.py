"""Does widening the writer keep its function, and does 16-bit storage cost bits?

``python bench/text_grow.py [--checkpoint PATH] [--units 768] [--max-chars 100000]``
widens the writer (:func:`models.text.grow.widen`), saves the wide model in float32
and in float16 (:func:`models.text.checkpoint.save`), loads the 16-bit file back and
scores all three next to the original on the first ``--max-chars`` characters of raw
valid, side by side in one run. Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHIPPED = REPO_ROOT / "models" / "checkpoints" / "wiki_writer.keras"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=SHIPPED)
    parser.add_argument("--units", type=int, default=768)
    parser.add_argument("--max-chars", type=int, default=100_000)
    args = parser.parse_args(argv)

    from models.text import checkpoint, data
    from models.text.char_lstm import CharLSTMConfig, build_model
    from models.text.grow import widen
    from models.text.train import evaluate_bpc

    start = time.time()
    model, vocab, meta = checkpoint.load(args.checkpoint)
    ids = vocab.encode_array(data.load_raw("valid")[: args.max_chars])
    cfg = CharLSTMConfig.from_dict(meta["config"])
    cfg.units = args.units
    wide = build_model(cfg, len(vocab))
    widen(model, wide)
    rows = [(f"{model.num_layers} x {model.units}", model, "float32", args.checkpoint.stat().st_size),
            (f"widened to {wide.num_layers} x {wide.units}", wide, "float32", None)]
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {dtype: checkpoint.save(Path(tmp) / dtype, "w", wide, vocab, {}, stored_dtype=dtype).stat().st_size
                 for dtype in ("float32", "float16")}
        rows[1] = (*rows[1][:3], sizes["float32"])
        back, _, _ = checkpoint.load(Path(tmp) / "float16" / "w.keras")
        rows.append(("widened, stored in float16, loaded back", back, "float16", sizes["float16"]))
        results = [{"writer": name, "params": int(m.count_params()), "stored": dtype,
                    "mb": round(size / 1e6, 2), "bpc": round(evaluate_bpc(m, ids)[0], 5)}
                   for name, m, dtype, size in rows]
    print("| writer | parameters | stored | file MB | raw valid bpc |")
    print("|---|---:|---|---:|---:|")
    for r in results:
        print(f"| {r['writer']} | {r['params']:,} | {r['stored']} | {r['mb']} | {r['bpc']:.5f} |")
    print(json.dumps({"checkpoint": str(args.checkpoint), "chars": int(len(ids) - 1), "rows": results,
                      "seconds": round(time.time() - start, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
