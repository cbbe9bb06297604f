"""WikiText-2 for the character model: loading from DATA_DIR, and a downloader.

Offline, ``DATA_DIR`` (default ``../shared/data`` beside the repository) holds the
tokenized splits ``wikitext-2/wiki.{train,valid,test}.tokens.xz`` and the raw
``wikitext-2-raw/wiki.{valid,test}.raw.xz``; the raw train split is missing. So
the model trains on the tokenized train split, with every ``<unk>`` token turned
into the one reserved symbol ``UNK``, and is selected and scored on raw text.
Raw text spells those rare words out (8.5% of raw test's characters), so training
can replace each ``UNK`` by a rare word of the training split itself, drawn anew
every epoch (:func:`rare_words`, :func:`spell_unknowns`).
With a network, :func:`download_wikitext2_raw` fetches the raw archive and checks
its sha256; nothing is fetched at import.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from models.text.vocab import UNK

SPLITS = ("train", "valid", "test")
TOKENS_DIR = "wikitext-2"
RAW_DIR = "wikitext-2-raw"

# The public archive of wikitext-2-raw-v1 (Merity et al. 2016) and the sha256 of its files.
RAW_ARCHIVE_URL = (
    "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-raw-v1.zip"
)
RAW_SHA256 = {
    "wiki.test.raw": "173c87a53759e0201f33e0ccf978e510c2042d7f2cb78229d9a50d79b9e7dd08",
    "wiki.valid.raw": "9b3f2155c1b03f1d18ecabd8b37c0afaaad4d426c51e5d43c2a216fae8823c53",
    # The train split's hash is recorded on first download (printed by the CLI) since no
    # offline copy exists to take it from; test and valid are verified.
}


class DataError(RuntimeError):
    """A dataset file is missing or does not match its checksum."""


def default_data_dir() -> Path:
    """DATA_DIR if set, else ../shared/data beside the repository."""
    env = os.environ.get("DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def _read_text(path: Path) -> str:
    if path.suffix == ".xz":
        with lzma.open(path, "rt", encoding="utf-8", newline="") as f:
            return f.read()
    return path.read_text(encoding="utf-8")


def _first(paths: list[Path]) -> Path:
    for p in paths:
        if p.is_file():
            return p
    raise DataError(f"missing dataset file; looked for {', '.join(map(str, paths))}")


def load_tokens(split: str, data_dir: str | Path | None = None) -> str:
    """The tokenized split as text, with each ``<unk>`` replaced by the reserved ``UNK`` symbol."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    base = Path(data_dir) if data_dir else default_data_dir()
    path = _first([base / TOKENS_DIR / f"wiki.{split}.tokens.xz", base / TOKENS_DIR / f"wiki.{split}.tokens"])
    return _read_text(path).replace("<unk>", UNK)


def load_raw(split: str, data_dir: str | Path | None = None) -> str:
    """The raw split (``valid`` or ``test`` offline; ``train`` once downloaded)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    base = Path(data_dir) if data_dir else default_data_dir()
    path = _first([base / RAW_DIR / f"wiki.{split}.raw.xz", base / RAW_DIR / f"wiki.{split}.raw"])
    return _read_text(path)


def load_train(data_dir: str | Path | None = None) -> str:
    """Training text: the raw train split when present, else the tokenized one (``<unk>`` -> UNK)."""
    try:
        return load_raw("train", data_dir)
    except DataError:
        return load_tokens("train", data_dir)


def rare_words(text: str, max_count: int) -> list[str]:
    """The space-separated words of ``text`` seen at most ``max_count`` times, sorted.

    In the tokenized split every word seen fewer than 3 times is ``<unk>``, so the words
    seen 3 to ``max_count`` times are the closest thing it has to them: rare names,
    terms and inflections, about as long (7.3 characters against 7.1 in raw valid).
    """
    counts = Counter(text.split())
    return sorted(w for w, n in counts.items() if n <= max_count and UNK not in w)


def wordfreq_rare_words(known_text: str, max_freq: float = 1e-6,
                        chars: Collection[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Rare English words from wordfreq's large list that ``known_text`` never spells, with weights.

    WikiText-2 writes ``<unk>`` for every word seen fewer than 3 times in its 2M-word train
    split, so the words it hides have a frequency below about 1.5e-6. These are the
    alphabetic words of wordfreq's list at most ``max_freq`` frequent, of two letters or
    more, missing from ``known_text`` in any case, and made of ``chars`` (when given).

    Returns:
        (words sorted, probabilities proportional to their wordfreq frequency).
    """
    import wordfreq

    known = {w.casefold() for w in known_text.split()}
    freqs = wordfreq.get_frequency_dict("en", wordlist="large")
    allowed = set(chars) if chars is not None else None
    words = sorted(w for w, f in freqs.items()
                   if f <= max_freq and len(w) > 1 and w.isalpha() and w.casefold() not in known
                   and (allowed is None or allowed.issuperset(w)))
    if not words:
        raise ValueError("no wordfreq word fits")
    weights = np.array([freqs[w] for w in words], dtype=np.float64)
    return words, weights / weights.sum()


def capital_rate(text: str, max_count: int) -> float:
    """The share of the alphabetic words seen at most ``max_count`` times that start with a capital."""
    rare = [w for w in rare_words(text, max_count) if w.isalpha()]
    return float(np.mean([w[0].isupper() for w in rare])) if rare else 0.0


def spell_unknowns(text: str, words: Sequence[str], seed: int | Sequence[int],
                   p: np.ndarray | None = None, capital: float = 0.0) -> str:
    """``text`` with each ``UNK`` symbol replaced by a word drawn from ``words``.

    Words are drawn uniformly, or with probabilities ``p``; each is capitalised with
    probability ``capital``. Deterministic in ``seed``; the trainer passes ``[seed, epoch]``
    so each epoch spells the unknown words differently and none is learned as a fixed string.
    """
    parts = text.split(UNK)
    if len(parts) == 1:
        return text
    if not words:
        raise ValueError("no words to spell the unknown words with")
    rng = np.random.default_rng(seed)
    n = len(parts) - 1
    picks = rng.integers(0, len(words), size=n) if p is None else rng.choice(len(words), size=n, p=p)
    upper = rng.random(n) < capital if capital > 0 else np.zeros(n, dtype=bool)
    out = [parts[0]]
    for pick, up, part in zip(picks, upper, parts[1:], strict=True):
        word = words[pick]
        out.append(word[:1].upper() + word[1:] if up else word)
        out.append(part)
    return "".join(out)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wikitext2_raw(data_dir: str | Path | None = None, url: str = RAW_ARCHIVE_URL,
                           timeout: float = 60.0) -> dict[str, Path]:
    """Fetch wikitext-2-raw-v1 and write ``wikitext-2-raw/wiki.{split}.raw.xz`` under DATA_DIR.

    Verifies the sha256 of every file with a known hash before writing anything.

    Returns:
        split -> written path.

    Raises:
        DataError: a checksum does not match, or the archive lacks a split.
    """
    base = Path(data_dir) if data_dir else default_data_dir()
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
        archive = response.read()
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for info in zf.infolist():
            name = Path(info.filename).name
            if name in {f"wiki.{s}.raw" for s in SPLITS}:
                files[name] = zf.read(info)
    for split in SPLITS:
        name = f"wiki.{split}.raw"
        if name not in files:
            raise DataError(f"{url} has no {name}")
        expected = RAW_SHA256.get(name)
        if expected and sha256(files[name]) != expected:
            raise DataError(f"{name}: sha256 {sha256(files[name])} != expected {expected}")
    out_dir = base / RAW_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for split in SPLITS:
        target = out_dir / f"wiki.{split}.raw.xz"
        if not target.exists():
            target.write_bytes(lzma.compress(files[f"wiki.{split}.raw"], preset=6))
        written[split] = target
    return written


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Download wikitext-2-raw-v1 into DATA_DIR.")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    for split, path in download_wikitext2_raw(args.data_dir).items():
        print(split, path, sha256(lzma.decompress(path.read_bytes())))
