"""Alembic migrations on empty SQLite and PostgreSQL databases, and models == migrations.

The ``engine`` fixture (an empty database of each backend) lives in ``conftest.py``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.db import Database
from bot.db.engine import default_sqlite_url
from bot.db.migrate import MIGRATIONS_DIR, downgrade, upgrade
from bot.db.models import Base

REPO = Path(__file__).resolve().parents[2]
TABLES = {"challenges", "submissions", "votes", "results", "generation_history"}


def schema_drift(engine: sa.Engine) -> list[object]:
    """What autogenerate would change to make the database match the models (empty: none)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_head_on_an_empty_database_creates_every_table(engine: sa.Engine) -> None:
    assert set(sa.inspect(engine).get_table_names()) == set()
    upgrade(engine)
    assert set(sa.inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    with engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    head = ScriptDirectory.from_config(head_config()).get_current_head()
    assert version == head


def head_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def test_models_match_the_migrations(engine: sa.Engine) -> None:
    upgrade(engine)
    assert schema_drift(engine) == []


def test_the_drift_check_sees_a_missing_schema(engine: sa.Engine) -> None:
    # Guards the test above: an un-migrated database must show differences.
    upgrade(engine)
    downgrade(engine, "base")
    drift = schema_drift(engine)
    assert {op[1].name for op in drift if op[0] == "add_table"} == TABLES


def test_upgrade_is_idempotent_and_downgrade_round_trips(engine: sa.Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert schema_drift(engine) == []


def test_database_connect_migrates_a_new_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data" / "nested"
    database = Database.connect(default_sqlite_url(data_dir))
    try:
        assert (data_dir / "wikimuse.sqlite3").is_file()
        assert TABLES <= set(sa.inspect(database.engine).get_table_names())
    finally:
        database.dispose()


def test_alembic_ini_points_at_the_packaged_migrations() -> None:
    config = Config(str(REPO / "alembic.ini"))
    script = ScriptDirectory.from_config(config)
    assert Path(script.dir).resolve() == MIGRATIONS_DIR
    assert (
        script.get_current_head() == ScriptDirectory.from_config(head_config()).get_current_head()
    )


REPLICA = """
import sys
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
url, search_path = sys.argv[1], sys.argv[2]
args = {"connect_args": {"options": f"-csearch_path={search_path}"}} if search_path else {}
upgrade(make_engine(url, **args))
"""


def test_replicas_migrating_at_once_all_succeed(engine: sa.Engine) -> None:
    # Separate processes, like bot replicas starting together on an empty database.
    url = engine.url.render_as_string(hide_password=False)
    search_path = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            search_path = connection.execute(sa.text("SHOW search_path")).scalar() or ""
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, url, search_path],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [r.communicate(timeout=120)[0] for r in replicas]
    assert [r.returncode for r in replicas] == [0, 0, 0], outputs
    assert schema_drift(engine) == []


def test_threads_in_one_process_take_turns(engine: sa.Engine) -> None:
    # Alembic's context is process-global: two bots in one process must not interleave.
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def replica() -> None:
        try:
            barrier.wait()
            upgrade(engine)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert schema_drift(engine) == []
