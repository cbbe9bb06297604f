"""Deadline parsing and upload validation for /challenge create and /challenge submit."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cogs.challenges.converters import parse_deadline, parse_duration
from bot.cogs.challenges.errors import BadDeadline, UploadRejected
from bot.cogs.challenges.uploads import TEXT_MAX_CHARS, check_content, check_declared
from bot.db.models import ChallengeKind

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DATA_DIR = Path(os.environ.get("DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"))
MINIMAL_MIDI = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"
MUSIC, TEXT = ChallengeKind.MUSIC, ChallengeKind.TEXT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("1d12h", timedelta(hours=36)),
        ("1w 2d", timedelta(days=9)),
        ("45S", timedelta(seconds=45)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0m", "soon", "-3d", "2y", "999999w", "3d; DROP TABLE"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(BadDeadline):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", NOW + timedelta(days=3)),
        ("2026-12-01 18:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01T18:00+01:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("<t:1796148000:F>", datetime.fromtimestamp(1796148000, UTC)),
        ("1796148000", datetime.fromtimestamp(1796148000, UTC)),
    ],
)
def test_deadlines(text: str, expected: datetime) -> None:
    assert parse_deadline(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2020-01-01 00:00", "future"),
        ("2029-01-01", "within a year"),
        ("<t:99999999999999:F>", "not a deadline"),
        ("next friday @everyone", "not a deadline"),
        ("x" * 500, "not a deadline"),
    ],
)
def test_bad_deadlines_say_why(text: str, reason: str) -> None:
    with pytest.raises(BadDeadline, match=reason) as caught:
        parse_deadline(text, NOW)
    assert len(str(caught.value)) < 300


def test_declared_type_and_size_are_checked_before_downloading() -> None:
    check_declared("song.MID", 500, MUSIC, None)
    check_declared("essay.md", 500, TEXT, None)
    with pytest.raises(UploadRejected, match="MIDI"):
        check_declared("song.mp3", 500, MUSIC, None)
    with pytest.raises(UploadRejected, match=r"\.txt"):
        check_declared("essay.pdf", 500, TEXT, None)
    with pytest.raises(UploadRejected, match="too large"):
        check_declared("song.mid", 2_000_000, MUSIC, None)  # over MIDI_UPLOAD_MAX_BYTES
    with pytest.raises(UploadRejected, match="limit is 400"):
        check_declared("song.mid", 500, MUSIC, 400)  # over the interaction's attachment limit
    with pytest.raises(UploadRejected, match="empty"):
        check_declared("song.mid", 0, MUSIC, None)


def test_real_midi_files_pass_and_impostors_do_not() -> None:
    assert check_content("tiny.mid", MINIMAL_MIDI, MUSIC).content_type == "audio/midi"
    real = sorted((DATA_DIR / "midi" / "ragtime").glob("*.mid"))
    if real:
        data = real[0].read_bytes()
        assert check_content(real[0].name, data, MUSIC).data == data
    with pytest.raises(UploadRejected, match="MThd"):
        check_content("fake.mid", b"ID3\x03\x00" + b"\x00" * 100, MUSIC)
    with pytest.raises(UploadRejected, match="no tracks"):
        check_content("headless.mid", MINIMAL_MIDI[:14], MUSIC)
    with pytest.raises(UploadRejected, match="empty"):
        check_content("nothing.mid", b"", MUSIC)


def test_text_must_be_utf8_nonblank_and_bounded() -> None:
    upload = check_content("essay.md", "\ufeff# Title\nZürich".encode(), TEXT)
    assert upload.data.decode() == "# Title\nZürich"  # BOM dropped
    with pytest.raises(UploadRejected, match="UTF-8"):
        check_content("essay.txt", b"\xff\xfe\x00bad", TEXT)
    with pytest.raises(UploadRejected, match="empty"):
        check_content("essay.txt", b" \n\t ", TEXT)
    with pytest.raises(UploadRejected, match="too long"):
        check_content("essay.txt", b"a" * (TEXT_MAX_CHARS + 1), TEXT)
