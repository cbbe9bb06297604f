"""Where the writer's raw-test bits go: the characters of rare words against the rest.

The tokenized train split replaces every word seen fewer than 3 times with
``<unk>``; the raw test split spells those words out. ``python bench/text_unk_gap.py
[--checkpoint PATH ...] [--max-chars N]`` aligns raw test with tokenized test line by
line and word by word, scores raw test once per checkpoint (one stateful stream, so
every character is predicted with all its left context), and reports, side by side:

* bpc on all raw characters (``--max-chars 0`` matches ``models.text.evaluate``
  up to the stream layout);
* bpc on the characters of words that are ``<unk>`` in the tokenized split, and
  on all other characters, with their share;
* bpc on the tokenized split with ``<unk>`` as the one reserved symbol.

Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from models.text import data  # noqa: E402

SHIPPED = REPO_ROOT / "models" / "checkpoints" / "wiki_writer.keras"


def unk_mask(raw: str, tokens: str) -> np.ndarray:
    """True for each character of ``raw`` inside a word that ``tokens`` has as ``<unk>`` (UNK)."""
    from models.text.vocab import UNK

    mask = np.zeros(len(raw), bool)
    pos = 0
    for raw_line, tok_line in zip(raw.split("\n"), tokens.split("\n"), strict=True):
        raw_words, tok_words = raw_line.split(" "), tok_line.split(" ")
        if len(raw_words) == len(tok_words):  # all but 2 of test's 4,359 lines align
            p = pos
            for word, tok in zip(raw_words, tok_words, strict=True):
                if tok == UNK and word != tok:
                    mask[p:p + len(word)] = True
                p += len(word) + 1
        pos += len(raw_line) + 1
    return mask


def per_char_bits(model, vocab, text: str, chunk: int = 2048) -> np.ndarray:
    """Bits for predicting each of ``text[1:]``, one stateful stream through the model."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(x, y, states):
        logits, states = model(x, states=states, training=False)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(y, tf.cast(logits, tf.float32))
        return nll, [tf.cast(s, tf.float32) for s in states]

    ids = vocab.encode_array(text).astype(np.int32)
    states = [tf.zeros([1, model.units])] * (2 * model.num_layers)
    out = []
    for s in range(0, len(ids) - 1, chunk):
        e = min(len(ids) - 1, s + chunk)
        nll, states = step(ids[None, s:e], ids[None, s + 1:e + 1], states)
        out.append(nll.numpy()[0])
    return np.concatenate(out) / np.log(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, nargs="+", default=[SHIPPED])
    parser.add_argument("--max-chars", type=int, default=0, help="the first N chars of test (0 = all)")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    from models.text import checkpoint

    raw = data.load_raw("test", args.data_dir)
    tokens = data.load_tokens("test", args.data_dir)
    mask = unk_mask(raw, tokens)
    if args.max_chars:
        raw, tokens, mask = raw[:args.max_chars], tokens[:args.max_chars], mask[:args.max_chars]
    target = mask[1:]
    rows = []
    for path in args.checkpoint:
        model, vocab, meta = checkpoint.load(path)
        bits = per_char_bits(model, vocab, raw)
        rows.append({"checkpoint": str(path), "dataset": meta.get("dataset"),
                     "raw_bpc": round(float(bits.mean()), 4),
                     "unk_word_bpc": round(float(bits[target].mean()), 4),
                     "other_bpc": round(float(bits[~target].mean()), 4),
                     "unk_word_share": round(float(target.mean()), 4),
                     "tokens_bpc": round(float(per_char_bits(model, vocab, tokens).mean()), 4)})
    print(f"raw test, first {len(raw):,} chars\n")
    print("| checkpoint | raw bpc | on <unk> words' chars | on the other chars | share of chars | tokenized bpc |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {Path(r['checkpoint']).name} ({r['dataset']}) | {r['raw_bpc']:.4f} | {r['unk_word_bpc']:.4f} | "
              f"{r['other_bpc']:.4f} | {100 * r['unk_word_share']:.1f}% | {r['tokens_bpc']:.4f} |")
    print(json.dumps({"bench": "text_unk_gap", "chars": len(raw), "rows": rows}))


if __name__ == "__main__":
    main()
