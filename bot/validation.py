"""Input checks shared by the cogs: every refusal is a :class:`BadInput` with a clear message."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from anyascii import anyascii

from bot.errors import BadInput

# Zero-width and invisible formatting characters people paste (or use to dodge filters).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e]")


def clean_text(text: str | None) -> str:
    """``text`` without zero-width characters and control characters (newlines and tabs kept)."""
    text = _INVISIBLE.sub("", text or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


def check_text(text: str | None, *, name: str, max_chars: int) -> str:
    """The cleaned text, or :class:`BadInput` when it is empty or longer than ``max_chars``."""
    cleaned = clean_text(text)
    if not cleaned:
        raise BadInput(f"The {name} is empty (invisible characters don't count). Please type some text.")
    if len(cleaned) > max_chars:
        raise BadInput(f"The {name} is {len(cleaned):,} characters long; the limit is {max_chars:,}.")
    return cleaned


def check_int(value: int | None, *, name: str, low: int, high: int) -> int:
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"{name.capitalize()} must be a whole number from {low:,} to {high:,}.")
    return value


def check_float(value: float | None, *, name: str, low: float, high: float) -> float:
    if (value is None or isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not low <= value <= high):
        raise BadInput(f"{name.capitalize()} must be a number from {low} to {high}.")
    return float(value)


# Bidirectional embeddings, overrides and isolates: never kept, whatever the alphabet.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# ASCII an alphabet may lack, and the nearest character people mean by it.
_NEAREST = {"`": "'", "_": " ", "{": "(", "}": ")", "|": "/", "\\": "/"}


@dataclass(frozen=True)
class Fitted:
    """Text mapped onto an alphabet, and what changed on the way."""

    text: str
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (typed run, written as)
    dropped: list[str] = field(default_factory=list)  # runs with no equivalent
    bidi_controls: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.replaced or self.dropped or self.bidi_controls)


def _spell(char: str, alphabet: Collection[str]) -> str:
    """``char`` in ``alphabet``'s characters: itself, its NFKC form, the nearest ASCII, or its
    transliteration (``東`` -> ``Dong``); "" when none of these can be written."""
    if char in alphabet:
        return char
    for candidate in (unicodedata.normalize("NFKC", char), _NEAREST.get(char, "")):
        if candidate and all(c in alphabet for c in candidate):
            return candidate
    latin = anyascii(char)
    if len(latin) > 2 and latin.startswith(":") and latin.endswith(":"):
        return ""  # an emoji's short name (":grinning:") is not an equivalent
    written = (c if c in alphabet else _NEAREST.get(c, "") for c in latin)
    return "".join(w for w in written if w and w in alphabet)


def fit_alphabet(text: str, alphabet: Collection[str]) -> Fitted:
    """``text`` written with ``alphabet`` only: NFC first, then per unknown character its
    NFKC form, the nearest ASCII or an ``anyascii`` transliteration, else nothing; bidi
    controls always go. Runs of spaces this leaves are collapsed."""
    out: list[str] = []
    replaced: list[tuple[str, str]] = []
    dropped: list[str] = []
    bidi = 0
    run_from: list[str] = []
    run_to: list[str] = []

    def close_run() -> None:
        if run_from:
            typed, written = "".join(run_from), "".join(run_to)
            if written:
                replaced.append((typed, written))
            else:
                dropped.append(typed)
            run_from.clear()
            run_to.clear()

    for char in unicodedata.normalize("NFC", text):
        if char in BIDI_CONTROLS:
            bidi += 1
            continue
        written = _spell(char, alphabet)
        if written == char:
            close_run()
        else:
            run_from.append(char)
            run_to.append(written)
        out.append(written)
    close_run()
    fitted = re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()
    return Fitted(fitted, replaced, dropped, bidi)
