"""Engine and session setup: SQLite by default, PostgreSQL through ``DATABASE_URL``.

The URL comes from the caller (the bot's settings); this module never reads the
environment. SQLite gets the pragmas that make it behave like a real database for
this workload: foreign keys on, WAL so readers don't block the writer, and a busy
timeout instead of immediate "database is locked" errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILENAME = "wikimuse.sqlite3"


def default_sqlite_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file under the data directory."""
    return f"sqlite:///{(Path(data_dir) / SQLITE_FILENAME).resolve()}"


def normalize_url(url: str | URL) -> URL:
    """Accept the URL spellings that hosting platforms hand out.

    ``postgres://`` and bare ``postgresql://`` select the psycopg2 driver, the one
    the project installs.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | URL, *, echo: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite files get their parent folder created.

    Args:
        url: a SQLAlchemy URL (``sqlite:///path``, ``postgresql://...``).
        echo: log SQL statements.
        **kwargs: passed to :func:`sqlalchemy.create_engine` (e.g. ``connect_args``).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": 30, **kwargs.pop("connect_args", {})}
        engine = create_engine(parsed, echo=echo, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, echo=echo, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: repositories convert rows to records after commit.
    return sessionmaker(engine, expire_on_commit=False)
