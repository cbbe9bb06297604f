"""Validation of uploaded submissions, with the same rules as /continue uploads.

Checks run cheapest first: the file name and declared size before any download,
then the bytes (a Standard MIDI File must start with an ``MThd`` header chunk of
length 6; text must be UTF-8 and not empty).
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.cogs.challenges.errors import UploadRejected
from bot.db.models import ChallengeKind
from workers.contracts import MIDI_UPLOAD_MAX_BYTES

MIDI_SUFFIXES = (".mid", ".midi")
TEXT_SUFFIXES = (".txt", ".md")
TEXT_MAX_BYTES = 200_000
TEXT_MAX_CHARS = 20_000
FILENAME_MAX = 100


@dataclass(frozen=True)
class ValidUpload:
    filename: str
    content_type: str
    data: bytes


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def check_declared(filename: str, size: int, kind: ChallengeKind, size_limit: int | None) -> None:
    """Refuse by name and size before downloading anything.

    Raises:
        UploadRejected: wrong type for the challenge kind, or too large.
    """
    suffix = _suffix(filename)
    if kind is ChallengeKind.MUSIC and suffix not in MIDI_SUFFIXES:
        raise UploadRejected("This is a music challenge: upload a MIDI file (`.mid` or `.midi`).")
    if kind is ChallengeKind.TEXT and suffix not in TEXT_SUFFIXES:
        raise UploadRejected("This is a text challenge: upload a `.txt` or `.md` file.")
    limit = MIDI_UPLOAD_MAX_BYTES if kind is ChallengeKind.MUSIC else TEXT_MAX_BYTES
    if size_limit is not None:
        limit = min(limit, size_limit)
    if size <= 0:
        raise UploadRejected("That file is empty.")
    if size > limit:
        raise UploadRejected("That file is too large: {size} bytes, the limit is {limit}.",
                             size=f"{size:,}", limit=f"{limit:,}")


def check_content(filename: str, data: bytes, kind: ChallengeKind) -> ValidUpload:
    """Validate downloaded bytes.

    Raises:
        UploadRejected: not a Standard MIDI File, not UTF-8 text, empty or too long.
    """
    name = discord.utils.remove_markdown(filename)[-FILENAME_MAX:] or "submission"
    if not data:
        raise UploadRejected("That file is empty.")
    if kind is ChallengeKind.MUSIC:
        if len(data) < 14 or data[:8] != b"MThd\x00\x00\x00\x06":
            raise UploadRejected("That file is not a Standard MIDI File (no `MThd` header).")
        if b"MTrk" not in data[14:]:
            raise UploadRejected("That MIDI file has no tracks.")
        return ValidUpload(name, "audio/midi", data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected("That file is not UTF-8 text.") from None
    if not text.strip():
        raise UploadRejected("That text file is empty.")
    if len(text) > TEXT_MAX_CHARS:
        raise UploadRejected(
            "That text is too long: {size} characters, the limit is {limit}.",
            size=f"{len(text):,}", limit=f"{TEXT_MAX_CHARS:,}",
        )
    return ValidUpload(name, "text/plain; charset=utf-8", text.encode("utf-8"))


async def read_attachment(
    attachment: discord.Attachment, kind: ChallengeKind, size_limit: int | None
) -> ValidUpload:
    """Check, download and validate an uploaded attachment."""
    check_declared(attachment.filename, attachment.size, kind, size_limit)
    try:
        data = await attachment.read()
    except (discord.HTTPException, discord.NotFound) as exc:
        raise UploadRejected("That file could not be downloaded; please try again.") from exc
    check_declared(attachment.filename, len(data), kind, size_limit)
    return check_content(attachment.filename, data, kind)
