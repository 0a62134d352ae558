"""``timetable serve`` prepares its database; migrations and the data loader also work on PostgreSQL.

The PostgreSQL test needs a server at ``TIMETABLE_TEST_POSTGRES`` (default the local one on 5432); it is
skipped when none answers, except under ``CI=true``, where an unreachable server is a failure."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid

import pytest
from django.test import TestCase

from timetabling.cli.serve import prepare_database, register
from timetabling.web.academics import models as am

POSTGRES = os.environ.get("TIMETABLE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


class ServeTests(TestCase):
    def test_a_fresh_database_gets_the_demo_and_an_admin_once(self) -> None:
        note = prepare_database("tiny")
        assert note is not None and "admin user: admin" in note and "password: " in note
        org = am.Organization.objects.get(slug="demo")
        assert am.Course.objects.filter(organization=org).exists()
        assert org.memberships.get().user.username == "admin"
        assert prepare_database("tiny") is None  # not empty any more
        assert am.Organization.objects.count() == 1

    def test_no_demo_leaves_the_database_empty(self) -> None:
        assert prepare_database(None) is None
        assert not am.Organization.objects.exists()


def test_serve_is_a_command_with_its_ports() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--port", "9000", "--engine-port", "9001", "--runner", "thread"])
    assert (args.command, args.port, args.engine_port, args.runner) == ("serve", 9000, 9001, "thread")


def _postgres_or_skip() -> object:
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES} is not reachable under CI: {err}")
        pytest.skip(f"PostgreSQL at {POSTGRES} is not reachable: {err}")


def test_migrations_and_the_data_loader_work_on_postgresql(tmp_path) -> None:
    conn = _postgres_or_skip()
    name = f"tt_web_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": f"{POSTGRES}/{name}", "TIMETABLE_DATA_DIR": str(tmp_path)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        code = (  # one interpreter: migrate, load the tiny university, build the engine instance back
            "from timetabling.web import setup; setup()\n"
            "from django.core.management import call_command\n"
            "call_command('migrate', verbosity=0)\n"
            "call_command('seed_demo', profile='tiny', password='pw')\n"
            "from timetabling.web.academics.models import Organization\n"
            "from timetabling.web.academics.instance import build_instance\n"
            "print('sessions', build_instance(Organization.objects.get(slug='demo')).n_sessions)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "admin user: admin" in done.stdout
        from timetabling.engine.generator import generate_university

        assert f"sessions {generate_university('tiny', 0).n_sessions}" in done.stdout
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
