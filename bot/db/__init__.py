"""Persistence for challenges and the generation history (SQLAlchemy 2 + Alembic).

:class:`Database` owns one engine and both repositories; the bot awaits
:meth:`Database.run`, which runs a repository call in a worker thread.

- :mod:`bot.db.models`: the tables; :mod:`bot.db.migrations`: their Alembic history.
- :mod:`bot.db.records`: the frozen records repositories return.
- :mod:`bot.db.challenges`: challenges, submissions, votes, results (with validation).
- :mod:`bot.db.lifecycle`: a challenge's state transitions and the posting lease.
- :mod:`bot.db.history`: the generation history.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from bot.db.challenges import ChallengeRepository
from bot.db.engine import default_sqlite_url, make_engine, make_session_factory
from bot.db.history import HistoryRepository
from bot.db.records import Scoring

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """An engine plus the repositories that use it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sessions = make_session_factory(engine)
        self.challenges = ChallengeRepository(sessions)
        self.history = HistoryRepository(sessions)

    @classmethod
    def connect(cls, url: str | URL, *, migrate: bool = True) -> Database:
        """Open ``url``; with ``migrate`` the schema is upgraded to the newest revision."""
        database = cls(make_engine(url))
        if migrate:
            from bot.db.migrate import upgrade

            upgrade(database.engine)
        return database

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await a (blocking) repository call without blocking the event loop."""
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["Database", "Scoring", "default_sqlite_url", "make_engine"]
