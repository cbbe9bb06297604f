"""Security: no e2e test may log the Discord bot token.

:func:`no_token_in_logs` is autouse for every test under ``tests/e2e`` (imported by
``conftest.py``): it captures every log record of the test at DEBUG level, formatted
by the bot's JSON formatter and by a plain one with the record's arguments, and fails
the test at teardown if a line contains the emulator's token.
:func:`no_token_in_worker_logs` scans the Celery workers' log files (their stdout and
stderr) at the end of the session. ``test_token_never_logged.py`` runs the flows with
a token in Discord's real shape and checks the scanner itself.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from bot.__main__ import _JsonFormatter
from tests.emulator.server import DiscordEmulator

DEFAULT_TOKEN: str = inspect.signature(DiscordEmulator.__init__).parameters["token"].default


def find_leaks(lines: Iterable[str], needles: Iterable[str]) -> list[str]:
    """The lines that contain any of ``needles``."""
    needles = [n for n in needles if n]
    return [line for line in lines if any(n in line for n in needles)]


class LogCapture(logging.Handler):
    """Keeps every record as its JSON line, a plain line with its arguments, and its extras."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.json = _JsonFormatter()
        self.plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s %(args)s")
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = {k: repr(v) for k, v in vars(record).items() if k not in ("msg", "args", "exc_info")}
        for text in (self.json.format(record), self.plain.format(record), json.dumps(extra)):
            self.lines.append((record.levelno, text))

    def texts(self, min_level: int = logging.NOTSET) -> list[str]:
        return [text for level, text in self.lines if level >= min_level]


@pytest.fixture(autouse=True)
def no_token_in_logs(request: pytest.FixtureRequest) -> Iterator[LogCapture]:
    capture = LogCapture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
    needles = {DEFAULT_TOKEN}
    emulator = request.node.funcargs.get("discord_emulator") if hasattr(request.node, "funcargs") else None
    if emulator is not None:
        needles.add(emulator.token)
    leaks = find_leaks(capture.texts(), needles)
    assert not leaks, f"the bot token was logged ({len(leaks)} line(s)), e.g.: {leaks[0][:300]}"


@pytest.fixture(autouse=True, scope="session")
def no_token_in_worker_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield
    files = sorted(Path(tmp_path_factory.getbasetemp()).glob("celery-logs*/*.log"))
    leaks = [f"{path.name}: {line[:200]}" for path in files
             for line in find_leaks(path.read_text(errors="replace").splitlines(), [DEFAULT_TOKEN])]
    assert not leaks, f"the bot token is in a worker log: {leaks[0]}"
