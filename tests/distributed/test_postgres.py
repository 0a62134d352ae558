"""PostgreSQL through DATABASE_URL: the migrations apply to a fresh database and match the models."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "timetabling.web.settings"}
    return subprocess.run([sys.executable, "-m", "timetabling.web", *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow  # every migration on a fresh database, then makemigrations --check
def test_migrations_apply_to_a_fresh_postgresql_database(postgres_url: str) -> None:
    name = f"tt_migrate_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(postgres_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        done = manage(url, "migrate", "--noinput")
        assert done.returncode == 0, done.stderr[-3000:]
        with psycopg.connect(url) as conn:
            tables = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")}
        assert {"scheduling_generationjob", "scheduling_timetable", "scheduling_timetableslot"} <= tables
        check = manage(url, "makemigrations", "--check", "--dry-run")
        assert check.returncode == 0, "models changed without a migration:\n" + check.stdout[-3000:]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
