"""Migrations: one head, `eseller db upgrade` from empty to a schema equal to the models, and back."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from server.database import MIGRATIONS_DIR
from server.extensions import db
from tests.conftest import ROOT, SECRET_KEY, new_database_url


def test_single_head():
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def _eseller(*args: str, database_url: str, redis_url: str, instance: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET_KEY,
           "ESELLER_INSTANCE_PATH": instance}
    result = subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_upgrade_from_empty_matches_the_models_then_downgrades(app, redis_url, tmp_path):
    url = new_database_url(tmp_path, "migrations")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        _eseller("db", "upgrade", database_url=url, redis_url=redis_url, instance=str(tmp_path))
        tables = set(inspect(engine).get_table_names())
        assert {"dealer_groups", "users", "leads", "events", "contacts", "stock_vehicles"} <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        _eseller("db", "downgrade", "base", database_url=url, redis_url=redis_url, instance=str(tmp_path))
        inspect(engine).clear_cache()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
