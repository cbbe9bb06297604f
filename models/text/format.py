"""WikiText-style text -> a title and clean Discord markdown.

WikiText lines look like `` = Title = ``, `` = = Section = = ``, and paragraphs
with split tokens (``1 @,@ 000``, ``well @-@ known``, ``3 @.@ 5``) and spaces
before punctuation. :func:`format_article` undoes all of that.
"""

from __future__ import annotations

import re

from models.text.vocab import UNK

_HEADING = re.compile(r"^\s*((?:=\s*)+)([^=].*?)(?:\s*=)+\s*$")
_AT_JOIN = re.compile(r"\s*@([-,.])@\s*")
_SPACE_BEFORE = re.compile(r"\s+([.,;:!?%)\]}'’”]|n't|'s\b)")
_SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")
_QUOTED = re.compile(r'"\s*([^"\n]*?)\s*"')
_MULTI_SPACE = re.compile(r"[ \t]{2,}")
# Discord markdown control characters that would change the rendering of plain prose.
_MARKDOWN = re.compile(r"([\\*_~`|>])")


def _escape(text: str) -> str:
    text = _MARKDOWN.sub(r"\\\1", text)
    # A line starting with '#', '-' or a number+dot would become a heading or a list.
    return re.sub(r"^(#|-\s|\d+\.\s)", r"\\\1", text)


def clean_line(line: str) -> str:
    """One WikiText paragraph line -> readable prose (no markdown escaping)."""
    text = line.replace(UNK, "").replace("<unk>", "")
    text = _AT_JOIN.sub(lambda m: m.group(1), text)
    text = _QUOTED.sub(lambda m: f'"{m.group(1)}"', text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    text = _MULTI_SPACE.sub(" ", text)
    return text.strip()


def format_article(text: str) -> tuple[str, str]:
    """Turn generated WikiText into ``(title, markdown)``.

    The first `` = Title = `` line becomes the title (and is left out of the
    body); `` = = Section = = `` lines become ``## Section`` (deeper levels
    ``###``); paragraphs are cleaned with :func:`clean_line` and escaped for
    Discord. Without a title line, the title is the article's first words.

    Returns:
        (title, markdown); the title is plain text of at most 100 characters.
    """
    title = ""
    blocks: list[str] = []
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        heading = _HEADING.match(raw)
        if heading:
            level = heading.group(1).count("=")
            name = clean_line(heading.group(2))
            if level == 1 and not title and not blocks:
                title = name
            elif level == 1:
                blocks.append(f"# {_escape(name)}")
            else:
                blocks.append(f"{'#' * min(level, 3)} {_escape(name)}")
            continue
        line = clean_line(raw)
        if line:
            blocks.append(_escape(line))
    markdown = "\n\n".join(blocks)
    if not title:
        first = clean_line(text.strip().split("\n", 1)[0]) if text.strip() else ""
        words = first.split()
        title = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return title[:100], markdown
