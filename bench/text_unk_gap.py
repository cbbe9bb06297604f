"""Where the writer's raw-test bits go: the characters of rare words against the rest.

The tokenized train split replaces every word seen fewer than 3 times with
``<unk>``; the raw test split spells those words out. ``python bench/text_unk_gap.py
[--checkpoint PATH ...] [--max-chars N]`` aligns raw test with tokenized test line by
line and word by word, scores raw test once per checkpoint (16 stateful streams laid
end to end, so all but 16 characters are predicted with all their left context), and
reports, side by side:

* bpc on all raw characters (``--max-chars 0`` matches ``models.text.evaluate``
  up to the stream layout);
* bpc on the characters of words that are ``<unk>`` in the tokenized split, and
  on all other characters, with their share;
* bpc on the tokenized split with ``<unk>`` as the one reserved symbol;
* with ``--dynamic``, the same for raw test under dynamic evaluation
  (:mod:`models.text.dynamic`, its default settings), to show where its gain comes from;
* for scale: what a character 3-gram over the training split's word types (add-0.1
  smoothing) pays for the same words, their first character and the rest, since no
  model that never saw a word can spell it cheaply.

Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter, defaultdict
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


def unk_words(raw: str, mask: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The ``<unk>`` words of ``raw`` as strings, and the mask of their first characters."""
    first = mask & ~np.concatenate([[False], mask[:-1]])
    ends = mask & ~np.concatenate([mask[1:], [False]])
    return [raw[a:b + 1] for a, b in zip(np.flatnonzero(first), np.flatnonzero(ends), strict=True)], first


def ngram_bits(words: list[str], lexicon: list[str], order: int = 3, alphabet: int = 100,
               add: float = 0.1) -> tuple[float, float]:
    """(bits of the first character, bits per later character) of ``words`` under a character
    ``order``-gram fitted to the words of ``lexicon`` (the word's end is not scored)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    pad = "^" * (order - 1)
    for word in lexicon:
        s = pad + word
        for i in range(order - 1, len(s)):
            counts[s[i - order + 1:i]][s[i]] += 1
    first, rest = [], []
    for word in words:
        s = pad + word
        for i in range(order - 1, len(s)):
            c = counts.get(s[i - order + 1:i], Counter())
            bits = -math.log2((c[s[i]] + add) / (sum(c.values()) + add * alphabet))
            (first if i == order - 1 else rest).append(bits)
    return float(np.mean(first)), float(np.mean(rest))


def per_char_bits(model, vocab, text: str, dynamic_ms=None) -> np.ndarray:
    """Bits for predicting ``text[1:1 + k]``, in order. Statically: 16 stateful streams, whose rows
    laid end to end continue one another (k = the largest multiple of 16 <= len - 1; the first
    character of each stream is predicted with no context). With ``dynamic_ms`` (gradient mean
    squares): dynamic evaluation at its default settings, one stream, k = len - 1."""
    ids = vocab.encode_array(text)
    if dynamic_ms is None:
        from models.text.train import char_bits

        return char_bits(model, ids, batch=16, seq_len=2048).reshape(-1)
    from models.text.dynamic import DynamicConfig, dynamic_char_bits

    return dynamic_char_bits(model, ids, DynamicConfig(), dynamic_ms)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, nargs="+", default=[SHIPPED])
    parser.add_argument("--max-chars", type=int, default=0, help="the first N chars of test (0 = all)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--dynamic", action="store_true",
                        help="also score raw test under dynamic evaluation (models.text.dynamic defaults)")
    args = parser.parse_args()
    from models.text import checkpoint

    raw = data.load_raw("test", args.data_dir)
    tokens = data.load_tokens("test", args.data_dir)
    mask = unk_mask(raw, tokens)
    if args.max_chars:
        raw, tokens, mask = raw[:args.max_chars], tokens[:args.max_chars], mask[:args.max_chars]
    target = mask[1:]
    words, first = unk_words(raw, mask)
    first = first[1:]
    train_types = sorted(set(data.load_tokens("train", args.data_dir).split()))
    ngram_first, ngram_rest = ngram_bits(words, train_types)
    rows = []
    for path in args.checkpoint:
        model, vocab, meta = checkpoint.load(path)
        runs = [("static", None)]
        if args.dynamic:
            from models.text.dynamic import DynamicConfig, gradient_ms

            cfg = DynamicConfig()
            ms = gradient_ms(model, vocab.encode_array(data.load_train(args.data_dir)), seg_len=cfg.seg_len,
                             batches=cfg.ms_batches)
            runs.append(("dynamic", ms))
        tokens_bpc = round(float(per_char_bits(model, vocab, tokens).mean()), 4)
        for method, ms in runs:
            bits = per_char_bits(model, vocab, raw, ms)
            t, f = target[:len(bits)], first[:len(bits)]
            rows.append({"checkpoint": str(path), "dataset": meta.get("dataset"), "method": method,
                         "raw_bpc": round(float(bits.mean()), 4),
                         "unk_word_bpc": round(float(bits[t].mean()), 4),
                         "unk_first_char_bits": round(float(bits[f].mean()), 3),
                         "unk_later_char_bits": round(float(bits[t & ~f].mean()), 3),
                         "other_bpc": round(float(bits[~t].mean()), 4),
                         "unk_word_share": round(float(t.mean()), 4),
                         "tokens_bpc": tokens_bpc})
    print(f"raw test, first {len(raw):,} chars\n")
    print("| checkpoint | evaluation | raw bpc | on <unk> words' chars | their first char | their later chars | "
          "on the other chars | share of chars | tokenized bpc |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {Path(r['checkpoint']).name} ({r['dataset']}) | {r['method']} | {r['raw_bpc']:.4f} | {r['unk_word_bpc']:.4f} | "
              f"{r['unk_first_char_bits']:.2f} | {r['unk_later_char_bits']:.2f} | {r['other_bpc']:.4f} | "
              f"{100 * r['unk_word_share']:.1f}% | {r['tokens_bpc']:.4f} |")
    print(f"| char 3-gram over the {len(train_types):,} train word types (for scale) | | | | {ngram_first:.2f} | "
          f"{ngram_rest:.2f} | | {len(words):,} words | |")
    print(json.dumps({"bench": "text_unk_gap", "chars": len(raw), "unk_words": len(words), "rows": rows,
                      "ngram3": {"first_char_bits": round(ngram_first, 3), "later_char_bits": round(ngram_rest, 3)}}))


if __name__ == "__main__":
    main()
