"""Run the Alembic migrations that ship inside the package.

``alembic.ini`` at the repository root serves the command line; the bot and the
tests build the same configuration here, from the package path, so an installed
bot (no repository checkout) can still migrate its database.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Alembic keeps its running environment in module globals (``alembic.context``), so
# two migrations in one process (two bots in one test, say) must take turns.
_ALEMBIC_LOCK = threading.Lock()


@contextlib.contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """One migration at a time: per process always; across processes for SQLite files
    (a lock file beside the database). PostgreSQL uses an advisory lock in env.py."""
    with _ALEMBIC_LOCK:
        database = engine.url.database or ""
        if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
            yield
            return
        try:
            import fcntl
        except ImportError:  # not POSIX: the in-process lock is what we have
            yield
            return
        lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for the packaged migrations; ``engine`` is reused by env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (idempotent, safe for replicas starting together)."""
    with _exclusive(engine):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with _exclusive(engine):
        command.downgrade(alembic_config(engine), revision)
