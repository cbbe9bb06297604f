"""Results -> Discord messages: the only place that maps contracts to embeds and files.

Everything here is pure (no network): a :class:`Reply` holds the content, embeds
and file bytes of one message, and makes fresh :class:`discord.File` objects for
each send (a File can be read only once). Embed limits are Discord's: a title of
256, a description of 4096, 25 fields of 256/1024, 6000 characters in all.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import discord

from workers import contracts
from workers.contracts import ErrorResult, WikiResult

EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
WIKI_COLOUR = discord.Colour(0x3366CC)
ERROR_COLOUR = discord.Colour(0xCC3333)

NO_MENTIONS = discord.AllowedMentions.none()

_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")


@dataclass
class Reply:
    """One message to send or edit in: text, embeds and attachments (as bytes)."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)

    def files(self) -> list[discord.File]:
        return [discord.File(io.BytesIO(data), filename=name) for name, data in self.attachments]

    @property
    def attachment_bytes(self) -> int:
        return sum(len(data) for _, data in self.attachments)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bold_seed(seed: str) -> str:
    """The seed in bold, with its own markdown neutralised."""
    return f"**{discord.utils.escape_markdown(seed.strip())}**"


def split_sections(markdown: str) -> tuple[str, list[tuple[str, str]]]:
    """``(intro, [(heading, body), ...])`` from markdown with ``#`` headings."""
    intro: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for block in markdown.split("\n"):
        heading = _HEADING.match(block.strip())
        if heading:
            sections.append((heading.group(2).strip(), []))
        elif sections:
            sections[-1][1].append(block)
        else:
            intro.append(block)
    return "\n".join(intro).strip(), [(h, "\n".join(b).strip()) for h, b in sections]


def _intro_with_seed(seed: str, intro: str) -> str:
    """The intro, starting with the seed in bold (in place when the article starts with it)."""
    escaped = discord.utils.escape_markdown(seed.strip())
    for candidate in (escaped, seed.strip()):
        if candidate and intro.startswith(candidate):
            return f"**{candidate}**{intro[len(candidate):]}"
    return f"{bold_seed(seed)}\n\n{intro}".strip()


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:60] or "article"


def wiki_reply(result: WikiResult) -> Reply:
    """An article as an embed (title, intro with the seed in bold, sections as fields).

    When the article does not fit an embed, what fits is shown and the full
    article is attached as a ``.md`` file.
    """
    intro, sections = split_sections(result.markdown)
    description = _intro_with_seed(result.seed, intro)
    complete = len(description) <= EMBED_DESCRIPTION_MAX
    embed = discord.Embed(title=clip(result.title or "Untitled", EMBED_TITLE_MAX),
                          description=clip(description, EMBED_DESCRIPTION_MAX), colour=WIKI_COLOUR)
    footer = (f"{result.model} · {result.chars} characters · {result.seconds:.1f} s"
              f" · seed {result.rng_seed}")
    if result.batch_size > 1:
        footer += f" · batch of {result.batch_size}"
    budget = EMBED_TOTAL_MAX - len(embed.title or "") - len(embed.description or "") - len(footer) - 100
    for heading, body in sections:
        name = clip(heading or "\u200b", EMBED_FIELD_NAME_MAX)
        value = clip(body or "\u200b", EMBED_FIELD_VALUE_MAX)
        if len(embed.fields) >= EMBED_FIELDS_MAX or len(name) + len(value) > budget:
            complete = False
            break
        complete = complete and value == (body or "\u200b") and name == (heading or "\u200b")
        embed.add_field(name=name, value=value, inline=False)
        budget -= len(name) + len(value)
    attachments: list[tuple[str, bytes]] = []
    if not complete:
        footer += " · full article attached"
        document = f"# {result.title}\n\n{result.markdown}\n"
        attachments.append((f"{_slug(result.title)}.md", document.encode()))
    embed.set_footer(text=footer)
    return Reply(content=None, embeds=[embed], attachments=attachments)


ERROR_TITLES = {
    contracts.ERR_BAD_INPUT: "That request can't be done",
    contracts.ERR_BAD_MIDI: "That MIDI file can't be used",
    contracts.ERR_TIMEOUT: "That took too long",
    contracts.ERR_CANCELLED: "Cancelled",
    contracts.ERR_MODEL_MISSING: "Model not installed",
    contracts.ERR_INTERNAL: "Something went wrong",
}


def error_reply(result: ErrorResult) -> Reply:
    """A worker's error result as a short embed (its message is user-safe by contract)."""
    embed = discord.Embed(title=ERROR_TITLES.get(result.code, "Something went wrong"),
                          description=clip(result.message, EMBED_DESCRIPTION_MAX), colour=ERROR_COLOUR)
    return Reply(content=None, embeds=[embed])


def progress_text(state: str, *, position: int | None = None, fraction: float | None = None,
                  verb: str = "Writing", eta_seconds: float | None = None) -> str:
    """One line of progress: ``Queued, position 2, about 30 s`` or ``Writing… 40%``."""
    if state == "queued":
        text = "Queued" if position is None else f"Queued, position {position}"
        if eta_seconds is not None:
            text += f", about {max(1, round(eta_seconds))} s"
        return text + "…"
    if fraction is not None and fraction > 0:
        return f"{verb}… {int(min(fraction, 1.0) * 100)}%"
    return f"{verb}…"


def fit_attachments(reply: Reply, size_limit: int | None) -> Reply:
    """Drop attachments (last first) until their total fits ``size_limit`` bytes, and say so."""
    if size_limit is None or reply.attachment_bytes <= size_limit:
        return reply
    kept = list(reply.attachments)
    dropped: list[str] = []
    while kept and sum(len(d) for _, d in kept) > size_limit:
        dropped.append(kept.pop()[0])
    note = f"Left out (over this server's upload limit): {', '.join(reversed(dropped))}"
    content = f"{reply.content}\n{note}" if reply.content else note
    return Reply(content=clip(content, CONTENT_MAX), embeds=reply.embeds, attachments=kept)


def result_reply(result: WikiResult | ErrorResult | contracts.MusicResult,
                 size_limit: int | None = None) -> Reply:
    """The message for any result contract, within the upload limit."""
    if isinstance(result, WikiResult):
        reply = wiki_reply(result)
    elif isinstance(result, contracts.MusicResult):
        reply = music_reply(result)
    else:
        reply = error_reply(result)
    return fit_attachments(reply, size_limit)


MUSIC_COLOUR = discord.Colour(0x8E44AD)


def music_reply(result: contracts.MusicResult) -> Reply:
    """A clip: an embed (genre, model, tempo, seed, length, time) + OGG, MIDI and piano roll."""
    stem = f"wikimuse-{_slug(result.genre)}-{result.job_id[:8]}"
    title = "Continuation" if result.primer_seconds > 0 else "Composition"
    embed = discord.Embed(title=f"{title}: {result.genre.replace('_', ' ')}", colour=MUSIC_COLOUR)
    embed.add_field(name="Genre", value=result.genre.replace("_", " "))
    embed.add_field(name="Model", value=result.model)
    embed.add_field(name="Tempo", value=f"{result.tempo} bpm")
    embed.add_field(name="Seed", value=str(result.rng_seed))
    embed.add_field(name="Length", value=f"{result.seconds:.1f} s · {result.bars} bars")
    embed.add_field(name="Generated in", value=f"{result.generation_seconds:.1f} s")
    if result.primer_seconds > 0:
        embed.add_field(name="Your primer", value=f"first {result.primer_seconds:.1f} s")
    attachments: list[tuple[str, bytes]] = []
    if result.audio_b64:
        attachments.append((f"{stem}.{result.audio_format or 'ogg'}", contracts.b64decode(result.audio_b64)))
    if result.midi_b64:
        attachments.append((f"{stem}.mid", contracts.b64decode(result.midi_b64)))
    if result.png_b64:
        attachments.append((f"{stem}.png", contracts.b64decode(result.png_b64)))
        embed.set_image(url=f"attachment://{stem}.png")
    embed.set_footer(text=f"{result.notes} notes · job {result.job_id[:8]}")
    return Reply(content=None, embeds=[embed], attachments=attachments)
