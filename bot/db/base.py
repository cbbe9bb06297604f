"""What every repository shares: a session factory, conflict retries, one-row updates.

Repository methods are synchronous and each runs in its own transaction; they return
frozen records (:mod:`bot.db.records`), never ORM objects. The bot calls them through
:meth:`bot.db.Database.run`, which moves the call to a worker thread so the event loop
never blocks on the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Challenge, Submission

T = TypeVar("T")


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when it was longer."""
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Repository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _retry_on_conflict(self, fn: Callable[[], T], attempts: int = 3) -> T:
        """Run ``fn`` again when a concurrent insert won a unique-key race."""
        for attempt in range(attempts):
            try:
                return fn()
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _set(self, table: type[Challenge] | type[Submission], row_id: int, **values: Any) -> None:
        """Set columns of one row by primary key, in its own transaction."""
        with self._sessions.begin() as session:
            session.execute(update(table).where(table.id == row_id).values(**values))
