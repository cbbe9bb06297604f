"""Input checks shared by the cogs: every refusal is a :class:`BadInput` with a clear message."""

from __future__ import annotations

import math
import re
import unicodedata

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
