"""Option checks for the music commands: genres typed by hand, MIDI uploads."""

from __future__ import annotations

import asyncio

import discord

from bot.errors import BadInput
from bot.validation import clean_text, refusing
from workers import contracts

MIDI_EXTENSIONS = (".mid", ".midi", ".smf", ".kar")
MIDI_CONTENT_TYPES = ("audio/midi", "audio/x-midi", "audio/mid", "application/x-midi",
                      "application/octet-stream", "")
DOWNLOAD_TIMEOUT = 20.0  # after deferring: the user sees "thinking…" meanwhile


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1000:,.0f} kB" if n >= 10_000 else f"{n:,} bytes"


def genre_choices(current: str) -> list[tuple[str, str]]:
    """(label, value) pairs for autocomplete, best matches first (Discord shows up to 25)."""
    needle = clean_text(current).lower().replace(" ", "_")
    names = [n for n in contracts.GENRE_NAMES if needle in n] or list(contracts.GENRE_NAMES)
    names.sort(key=lambda n: (not n.startswith(needle), n))
    return [(f"{n.replace('_', ' ')}: {contracts.GENRE_DESCRIPTIONS[n]}"[:100], n) for n in names[:25]]


def checked_genre(value: str | None, *, required: bool = True) -> str | None:
    """The genre name a user means (spaces, case and dashes forgiven; None for none when
    not ``required``), or :class:`BadInput` with the contract's message."""
    text = clean_text(value)
    key = contracts.genre_key(text) if text else None
    with refusing():
        contracts.check_genre(key, required=required)
    return key


def check_midi_attachment(attachment: discord.Attachment, size_limit: int) -> None:
    """What can be told from the attachment's name, type and declared size, without
    downloading it (so before the first reply): :class:`BadInput` when it is wrong."""
    name = discord.utils.escape_markdown(attachment.filename[:80])
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if not attachment.filename.lower().endswith(MIDI_EXTENSIONS) or content_type not in MIDI_CONTENT_TYPES:
        raise BadInput("“{name}” is not a MIDI file. Please upload a `.mid` file.", name=name)
    limit = min(size_limit, contracts.MIDI_UPLOAD_MAX_BYTES)
    if attachment.size > limit:
        raise BadInput("“{name}” is {size}; MIDI uploads here are limited to {limit}.",
                       name=name, size=_size(attachment.size), limit=_size(limit))
    if attachment.size == 0:
        raise BadInput("“{name}” is empty.", name=name)


def check_midi_bytes(filename: str, data: bytes, limit: int) -> bytes:
    """``data`` if it can be a Standard MIDI File (a header chunk and a track), else
    :class:`BadInput` saying which part is missing."""
    name = discord.utils.escape_markdown(filename[:80])
    if not data:
        raise BadInput("“{name}” is empty.", name=name)
    if len(data) > limit:
        raise BadInput("“{name}” is larger than {limit}.", name=name, limit=_size(limit))
    if not data.startswith(b"MThd") or len(data) < 14:
        raise BadInput("“{name}” is named like a MIDI file but isn't one (no MIDI header). "
                       "Export it again as a Standard MIDI File.", name=name)
    if b"MTrk" not in data[14:4096]:
        raise BadInput("“{name}” has a MIDI header but no track, so there is no music in it. "
                       "Export it again as a Standard MIDI File.", name=name)
    return data


async def read_midi_upload(attachment: discord.Attachment, size_limit: int) -> bytes:
    """The bytes of an uploaded MIDI file, or :class:`BadInput` saying what is wrong with it.

    It downloads: call it after the first reply (see :func:`check_midi_attachment`).
    """
    check_midi_attachment(attachment, size_limit)
    try:
        data = await asyncio.wait_for(attachment.read(), DOWNLOAD_TIMEOUT)
    except (TimeoutError, discord.HTTPException):
        name = discord.utils.escape_markdown(attachment.filename[:80])
        raise BadInput("I couldn't download “{name}”. Please try again.", name=name) from None
    return check_midi_bytes(attachment.filename, data, min(size_limit, contracts.MIDI_UPLOAD_MAX_BYTES))
