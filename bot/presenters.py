"""Results -> Discord messages: the only place that maps contracts to embeds and files.

Everything here is pure (no network): a :class:`Reply` holds the content, embeds
and file bytes of one message, and makes fresh :class:`discord.File` objects for
each send (a File can be read only once). Embed limits are Discord's: a title of
256, a description of 4096, 25 fields of 256/1024, 6000 characters in all; the
upload limit applies to each file (``Interaction.filesize_limit``, 10 MiB by default).
Text a user typed is quoted through :func:`quote_user_text`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import discord

from bot.i18n import Locale, in_context, option_terms, t
from workers import contracts
from workers.contracts import ErrorResult, WikiResult

EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
WIKI_COLOUR = discord.Colour(0x3366CC)
ERROR_COLOUR = discord.Colour(0xCC3333)

NO_MENTIONS = discord.AllowedMentions.none()

_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")


@dataclass
class Reply:
    """One message to send or edit in: text, embeds and attachments (as bytes).

    ``failed`` marks the answer to an error result (it is worded as such when posted late).
    """

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    failed: bool = False

    def files(self) -> list[discord.File]:
        return [discord.File(io.BytesIO(data), filename=name) for name, data in self.attachments]


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_PUNCTUATION = re.compile(r"([\\*_~`|>#\[\]()<:/.@-])")
# Characters that must not reach a message quoted from a user: bidirectional overrides
# and isolates (an unterminated U+202E turns the rest of the line around), zero-width
# and other invisible formatting characters; line breaks and other controls become spaces.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_CONTROLS = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029]")


def escape_all(text: str) -> str:
    """``text`` with every character Discord's markdown could read escaped by a backslash.

    Unlike :func:`discord.utils.escape_markdown`, a lone ``*`` or ``>`` is escaped too,
    as :mod:`models.text.format` does in articles; links and mentions are broken up
    (``https\\:\\/\\/``, ``\\<@1>``), so they neither unfurl nor ping. Rendered, the
    text reads as typed.
    """
    return _PUNCTUATION.sub(r"\\\1", text)


def quote_user_text(text: str, limit: int) -> str:
    """User-typed text made safe to quote in a message: on one line, without invisible or
    bidirectional controls, at most ``limit`` characters, every markdown character escaped."""
    flat = " ".join(_CONTROLS.sub(" ", _INVISIBLE.sub("", text)).split())
    return escape_all(clip(flat, limit))


def bold_seed(seed: str) -> str:
    """The seed in bold, with its own markdown neutralised."""
    return f"**{escape_all(seed.strip())}**"


def format_duration(seconds: float, locale: Locale = None) -> str:
    """``34 ms``, ``2.5 s``, ``48 s``: a fast job is not shown as "0.0 s"."""
    ms = round(seconds * 1000)
    if ms < 1:
        return t(locale, "under 1 ms")
    if ms < 1000:
        return f"{ms} ms"
    return f"{seconds:.1f} s" if round(seconds, 1) < 10 else f"{seconds:.0f} s"


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


def _escaped_prefix_length(intro: str, seed: str) -> int | None:
    """How many characters of ``intro`` spell ``seed`` once its markdown escapes are read
    (a backslash before a character stands for that character), or None if it does not
    start with the seed. The writer's formatter escapes as it likes; this reads any of it."""
    i = 0
    for char in seed:
        if intro.startswith("\\" + char, i):
            i += 2
        elif intro.startswith(char, i):
            i += 1
        else:
            return None
    return i


def _intro_with_seed(seed: str, intro: str) -> str:
    """The intro, starting with the seed in bold (in place when the article starts with it)."""
    stripped = seed.strip()
    length = _escaped_prefix_length(intro, stripped) if stripped else None
    if length:
        return f"**{intro[:length]}**{intro[length:]}"
    return f"{bold_seed(seed)}\n\n{intro}".strip()


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:60] or "article"


# What a result's parameters line leaves out: ids, the seed text (the article shows it in
# bold) and an uploaded file.
_NOT_PARAMETERS = ("job_id", "kind", "seed", "midi_b64", "midi_ref", "filename")
_PARAMETER_NAMES = {"rng_seed": "seed", "top_p": "top-p", "top_k": "top-k", "seconds": "length (s)"}
PARAMETER = "parameter"  # the context of a parameter's name on that line (i18n.in_context)


def parameters_text(job: dict | None, locale: Locale = None) -> str:
    """Every parameter of the job behind a result on one line (``length 1000 · temperature
    0.8 · seed 42``), so the result says how it was made; "" without a job. The names are
    in ``locale``'s language; the values stay as the job holds them."""
    parts = []
    for key, value in (job or {}).items():
        if key in _NOT_PARAMETERS or value is None or value == "":
            continue
        if isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"{t(locale, in_context(PARAMETER, _PARAMETER_NAMES.get(key, key)))} {value}")
    return " · ".join(parts)


def _with_parameters(footer: str, parameters: str) -> str:
    return clip(f"{footer}\n{parameters}" if parameters else footer, EMBED_FOOTER_MAX)


def wiki_reply(result: WikiResult, parameters: str = "", locale: Locale = None) -> Reply:
    """An article as an embed (title, intro with the seed in bold, sections as fields).

    When the article does not fit an embed, what fits is shown and the full
    article is attached as a ``.md`` file.
    """
    intro, sections = split_sections(result.markdown)
    description = _intro_with_seed(result.seed, intro)
    complete = len(description) <= EMBED_DESCRIPTION_MAX
    embed = discord.Embed(title=clip(result.title or t(locale, "Untitled"), EMBED_TITLE_MAX),
                          description=clip(description, EMBED_DESCRIPTION_MAX), colour=WIKI_COLOUR)
    footer = t(locale, "{model} · {chars} characters · {time} · seed {seed}", model=result.model,
               chars=result.chars, time=format_duration(result.seconds, locale), seed=result.rng_seed)
    if result.batch_size > 1:
        footer += t(locale, " · batch of {count}", count=result.batch_size)
    footer = _with_parameters(footer, parameters)
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
    attachments = [(a.name, a.data) for a in result.attachments]
    if not complete:
        footer += t(locale, " · full article attached")
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


def error_message(result: ErrorResult, locale: Locale = None) -> str:
    """A worker's error message (user-safe by contract) in ``locale``'s language: its template
    translated and formatted with its fields, an option's name included; the English message
    where the template is unknown here, or the fields do not fit it (a newer worker's)."""
    fields = result.fields if isinstance(result.fields, dict) else {}
    template = result.template if isinstance(result.template, str) and result.template else ""
    if not template or not fields and template != result.message:
        template = result.message  # an old worker's result: its message, translated where known
    try:
        return t(locale, template, **option_terms(fields))
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return result.message


def error_reply(result: ErrorResult, parameters: str = "", locale: Locale = None) -> Reply:
    """A worker's error result as a short embed, in the requester's language."""
    embed = discord.Embed(title=t(locale, ERROR_TITLES.get(result.code, "Something went wrong")),
                          description=clip(error_message(result, locale), EMBED_DESCRIPTION_MAX),
                          colour=ERROR_COLOUR)
    return Reply(content=None, embeds=[embed], failed=True)


def late_delivery_line(user_id: int, label: str, *, failed: bool, locale: Locale = None) -> str:
    """The line above a result posted in the channel after the interaction expired.

    It mentions the requester (the only mention allowed) and quotes ``label``, which
    may hold what the user typed, made harmless by :func:`quote_user_text`; the rest is in
    ``locale``'s language (the requester's).
    """
    what, mention = quote_user_text(label, 100), f"<@{user_id}>"
    if failed:
        return (t(locale, "{mention}, your {what} could not be made:", mention=mention, what=what) if what
                else t(locale, "{mention}, your request could not be made:", mention=mention))
    return (t(locale, "{mention}, here is your {what}.", mention=mention, what=what) if what
            else t(locale, "{mention}, here is your result.", mention=mention))


def join_within(items: list[str], limit: int, *, empty: str = "none") -> str:
    """``a, b, c`` within ``limit`` characters, ending ``and N more`` when some do not fit."""
    if not items:
        return empty
    for shown in range(len(items), -1, -1):
        text = ", ".join(items[:shown])
        if shown < len(items):
            more = f"and {len(items) - shown:,} more"
            text = f"{text} {more}" if text else more
        if len(text) <= limit:
            return text
    return clip(f"{len(items):,} items", limit)


def progress_text(state: str, *, position: int | None = None, fraction: float | None = None,
                  verb: str = "Writing", eta_seconds: float | None = None, locale: Locale = None) -> str:
    """One line of progress: ``Queued, position 2, about 30 s`` or ``Writing… 40%``, in
    ``locale``'s language."""
    if state == "queued":
        text = t(locale, "Queued") if position is None else t(locale, "Queued, position {position}",
                                                                  position=position)
        if eta_seconds is not None:
            text += t(locale, ", about {seconds} s", seconds=max(1, round(eta_seconds)))
        return text + "…"
    verb = t(locale, verb)
    if fraction is not None and fraction > 0:
        return f"{verb}… {int(min(fraction, 1.0) * 100)}%"
    return f"{verb}…"


def _drop_attachment_refs(embed: discord.Embed, dropped: set[str]) -> discord.Embed:
    """A copy of ``embed`` without the image or thumbnail that shows a dropped attachment."""
    embed = embed.copy()
    if (embed.image.url or "").removeprefix("attachment://") in dropped:
        embed.set_image(url=None)
    if (embed.thumbnail.url or "").removeprefix("attachment://") in dropped:
        embed.set_thumbnail(url=None)
    return embed


def fit_attachments(reply: Reply, size_limit: int | None, locale: Locale = None) -> Reply:
    """Leave out each attachment larger than ``size_limit`` bytes (Discord's limit is per
    file), say so, and take the embeds' pictures of left-out files away with them."""
    if size_limit is None:
        return reply
    kept = [(name, data) for name, data in reply.attachments if len(data) <= size_limit]
    dropped = [name for name, data in reply.attachments if len(data) > size_limit]
    if not dropped:
        return reply
    note = t(locale, "Left out (over this server's upload limit): {files}", files=", ".join(dropped))
    content = f"{reply.content}\n{note}" if reply.content else note
    embeds = [_drop_attachment_refs(e, set(dropped)) for e in reply.embeds]
    return Reply(content=clip(content, CONTENT_MAX), embeds=embeds, attachments=kept, failed=reply.failed)


def result_reply(result: WikiResult | ErrorResult | contracts.MusicResult,
                 size_limit: int | None = None, note: str = "", job: dict | None = None,
                 locale: Locale = None) -> Reply:
    """The message for any result contract, within the upload limit, after ``note`` (a line
    the bot owes the user about the request, e.g. how it changed the seed); its footer
    lists the parameters of ``job``, the job behind it (see :func:`parameters_text`). Its
    labels are in ``locale``'s language (the requester's); generated text stays English."""
    reply = REPLIES[type(result)](result, parameters_text(job, locale), locale)  # type: ignore[operator]
    if note:
        reply.content = clip(f"{note}\n{reply.content}" if reply.content else note, CONTENT_MAX)
    return fit_attachments(reply, size_limit, locale)


MUSIC_COLOUR = discord.Colour(0x8E44AD)
CLIP_LENGTH = in_context("clip", "Length")  # a clip's duration ("Length" alone: a text's, an option's)


def music_reply(result: contracts.MusicResult, parameters: str = "", locale: Locale = None) -> Reply:
    """A clip: an embed (genre, model, tempo, seed, length, time) and the result's files, in
    their order; the first picture among them is the embed's image."""
    title = t(locale, "Continuation" if result.primer_seconds > 0 else "Composition")
    embed = discord.Embed(title=f"{title}: {result.genre.replace('_', ' ')}", colour=MUSIC_COLOUR,
                          description=clip(result.notice, EMBED_DESCRIPTION_MAX) or None)
    embed.add_field(name=t(locale, "Genre"), value=result.genre.replace("_", " "))
    embed.add_field(name=t(locale, "Model"), value=result.model)
    embed.add_field(name=t(locale, "Tempo"), value=f"{result.tempo} bpm")
    embed.add_field(name=t(locale, "Seed"), value=str(result.rng_seed))
    embed.add_field(name=t(locale, CLIP_LENGTH), value=t(locale, "{seconds} s · {bars} bars",
                                                       seconds=f"{result.seconds:.1f}", bars=result.bars))
    embed.add_field(name=t(locale, "Generated in"), value=format_duration(result.generation_seconds, locale))
    if result.primer_seconds > 0:
        embed.add_field(name=t(locale, "Your primer"),
                        value=t(locale, "first {seconds} s", seconds=f"{result.primer_seconds:.1f}"))
    picture = next((a.name for a in result.attachments if a.mime.startswith("image/")), None)
    if picture is not None:
        embed.set_image(url=f"attachment://{picture}")
    embed.set_footer(text=_with_parameters(t(locale, "{notes} notes · job {job}", notes=result.notes,
                                             job=result.job_id[:8]), parameters))
    return Reply(content=None, embeds=[embed], attachments=[(a.name, a.data) for a in result.attachments])


# The reply for each result contract.
REPLIES = {WikiResult: wiki_reply, contracts.MusicResult: music_reply, ErrorResult: error_reply}
