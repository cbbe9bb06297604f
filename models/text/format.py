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


# A sentence end in WikiText: a spaced ".", "?" or "!" (abbreviations keep their period
# attached: "U.S.", "St."), with the closing quotes or brackets that follow it.
SENTENCE_PUNCT = ".!?"
SENTENCE_CLOSERS = "\"')]"
_SENTENCE_END = re.compile(rf" [{re.escape(SENTENCE_PUNCT)}](?: [{re.escape(SENTENCE_CLOSERS)}])*(?=\s|$)")
_LINE_END = re.compile(r"\n")
ENDING_SLACK = 150  # characters an article may run past its length to finish a sentence


def open_quote(text: str, end: int | None = None) -> bool:
    """Whether the line ending at ``end`` (default: the end of ``text``) has opened a double
    quote that it has not closed."""
    end = len(text) if end is None else end
    return text[text.rfind("\n", 0, end) + 1:end].count('"') % 2 == 1


def end_cleanly(text: str, keep: int, length: int, slack: int = ENDING_SLACK) -> str:
    """``text`` cut at a sentence or section end near ``keep + length`` characters.

    ``text`` is a prompt of ``keep`` characters followed by what the model wrote (WikiText
    style, up to ``length + slack`` characters of it). The cut is the first sentence or
    paragraph end within ``slack`` characters after ``keep + length``, else the last one
    before it, else the last whole word: an article never stops mid-word, and the prompt is
    kept whole. A text that fits already (the model ended the article) keeps its end.
    Headings and blank lines left at the end, with no paragraph after them, are dropped.
    """
    target = keep + length
    cut = len(text)
    if cut > target:
        ends = sorted({m.end() for m in _SENTENCE_END.finditer(text, keep)}
                      | {m.start() for m in _LINE_END.finditer(text, keep)})
        ends = [e for e in ends if e > keep and not open_quote(text, e)]
        after = [e for e in ends if target <= e <= target + slack]
        before = [e for e in ends if e < target]
        if after or before:
            cut = after[0] if after else before[-1]
        else:  # no sentence end after the prompt: stop after the last whole word
            space = text.rfind(" ", keep, target + 1)
            cut = space if space > keep else keep
    lines = text[:cut].split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or _HEADING.match(lines[-1])) \
            and sum(len(line) + 1 for line in lines[:-1]) > keep:
        lines.pop()
    out = "\n".join(lines)
    return out[:max(keep, len(out.rstrip()))]


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
