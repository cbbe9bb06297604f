"""Character vocabulary: characters <-> integer ids, with one reserved unknown symbol.

Id 0 is ``UNK``, the reserved symbol that stands for WikiText's ``<unk>`` token
and for characters too rare to learn. The model learns to predict it, but the
sampler never emits it. The vocabulary travels as JSON next to the checkpoint.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

UNK = "\uFFFD"  # U+FFFD REPLACEMENT CHARACTER: never occurs in WikiText itself
UNK_ID = 0

# Typographic characters a user may type (phones turn quotes curly) that the
# training text spells another way, or only rarely. Applied before rejecting.
_FALLBACKS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
    "\u2013": "\u2013", "\u2014": "\u2014",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\t": " ",
    "\r": "",
}


class OutOfVocabularyError(ValueError):
    """Text holds characters the model cannot read; ``str(exc)`` is safe to show users.
    ``template`` and ``fields`` are that message before formatting, for a translation."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = sorted(set(chars))
        self.fields: dict[str, object] = {"chars": ", ".join(repr(c) for c in self.chars[:10])}
        if len(self.chars) > 10:
            self.fields["more"] = len(self.chars) - 10
            self.template = ("The seed contains characters the model does not know: {chars} and {more} more. "
                             "Use plain letters, digits and punctuation.")
        else:
            self.template = ("The seed contains characters the model does not know: {chars}. "
                             "Use plain letters, digits and punctuation.")
        super().__init__(self.template.format(**self.fields))


class Vocab:
    """A fixed character vocabulary.

    Args:
        chars: the known characters, in id order starting at id 1 (id 0 is ``UNK``).
    """

    def __init__(self, chars: Iterable[str]) -> None:
        chars = [c for c in chars if c != UNK]
        if len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise ValueError("vocabulary characters must be distinct single characters")
        self.chars: list[str] = [UNK, *chars]
        self._ids = {c: i for i, c in enumerate(self.chars)}
        # Dense code point -> id table for fast bulk encoding (unknown -> UNK_ID).
        top = max(ord(c) for c in self.chars) + 1
        self._table = np.zeros(top, dtype=np.int32)
        for c, i in self._ids.items():
            self._table[ord(c)] = i

    @classmethod
    def from_text(cls, text: str, min_count: int = 1, ignore: str = "") -> Vocab:
        """The characters of ``text`` seen at least ``min_count`` times, most frequent first."""
        counts = Counter(text)
        for c in ignore:
            counts.pop(c, None)
        chars = [c for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count]
        return cls(chars)

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return char in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.chars == other.chars

    def __repr__(self) -> str:
        return f"Vocab({len(self)} symbols)"

    @property
    def size(self) -> int:
        return len(self.chars)

    def to_dict(self) -> dict[str, Any]:
        return {"unk": UNK, "chars": "".join(self.chars[1:])}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        if data.get("unk", UNK) != UNK:
            raise ValueError(f"unexpected unknown symbol {data.get('unk')!r}")
        return cls(list(data["chars"]))

    def normalize(self, text: str) -> str:
        """Map characters outside the vocabulary to known look-alikes where one exists.

        Curly quotes become straight ones, non-breaking spaces plain spaces, and
        accented letters the model never saw lose their accents (NFKD).
        """
        out = []
        for ch in unicodedata.normalize("NFC", text):
            if ch in self._ids and ch != UNK:
                out.append(ch)
                continue
            sub = _FALLBACKS.get(ch)
            if sub is None:
                decomposed = unicodedata.normalize("NFKD", ch)
                sub = "".join(c for c in decomposed if not unicodedata.combining(c))
            out.append(sub if sub and all(c in self._ids for c in sub) else ch)
        return "".join(out)

    def encode(self, text: str, *, unknown: str = "error") -> list[int]:
        """Ids of ``text`` after :meth:`normalize`.

        Args:
            text: the text.
            unknown: ``"error"`` raises on characters that remain unknown,
                ``"unk"`` maps them to ``UNK_ID``.

        Raises:
            OutOfVocabularyError: ``unknown="error"`` and some character is unknown.
        """
        text = self.normalize(text)
        missing = [c for c in text if c not in self._ids or c == UNK]
        if missing and unknown == "error":
            raise OutOfVocabularyError(missing)
        return [self._ids.get(c, UNK_ID) for c in text]

    def encode_array(self, text: str) -> np.ndarray:
        """Bulk encoding of a corpus: unknown characters become ``UNK_ID`` (no normalisation)."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        ids = np.zeros(codes.shape, dtype=np.int32)
        inside = codes < len(self._table)
        ids[inside] = self._table[codes[inside]]
        dtype = np.uint8 if len(self) <= 256 else np.int32
        return ids.astype(dtype)

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)
