"""Input checks shared by the cogs: every refusal is a :class:`BadInput` with a clear message.

The bounds of a job's options, and their messages, are the contract's own
(``validate()`` on each job in :mod:`workers.contracts`): :func:`validated` asks
it. What is left here is the bot's share: cleaning what people type and fitting
a seed to the writer's alphabet.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from anyascii import anyascii

from bot.errors import BadInput
from bot.i18n import option_terms
from workers.contracts import ComposeJob, ContinueJob, InvalidJob, WikiJob

# Zero-width and invisible formatting characters people paste (or use to dodge filters).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e]")


def clean_text(text: str | None) -> str:
    """``text`` without zero-width characters and control characters (newlines and tabs kept)."""
    text = _INVISIBLE.sub("", text or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


J = TypeVar("J", WikiJob, ComposeJob, ContinueJob)


@contextlib.contextmanager
def refusing() -> Iterator[None]:
    """Turn a contract's :class:`~workers.contracts.InvalidJob` into :class:`BadInput`
    (same message: the contracts word every refusal of a bound; its template and fields,
    so that the refusal is shown in the user's language, an option's name included)."""
    try:
        yield
    except InvalidJob as exc:
        raise BadInput(exc.template, **option_terms(exc.fields)) from None


def validated(job: J) -> J:
    """``job`` when it is within its contract's bounds (``job.validate()``), else :class:`BadInput`."""
    with refusing():
        job.validate()
    return job


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
