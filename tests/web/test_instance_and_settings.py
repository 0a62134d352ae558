"""The engine instance built from the database, instance files loaded into it, and DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import TestCase

from timetabling.engine.formats.native import save
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Faculty
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import build_instance, import_instance
from timetabling.web.dburl import parse_database_url


def _levels(f: Faculty) -> dict:
    """A faculty member as the web keeps them: every field, the unavailable (prohibited) slots, and the level of
    every other slot whose level is stated (the pages keep one level per slot)."""
    soft = {s: level for s, level in f.levels().items() if s not in f.unavailable}
    return {**f.model_dump(exclude={"preferred", "preferences"}), "levels": soft}


class InstanceTests(TestCase):
    def test_a_loaded_instance_comes_back_the_same(self) -> None:
        source = generate_university("tiny", 3)
        org = am.Organization.objects.create(name="T", slug="t")
        counts = import_instance(org, source)
        assert counts["courses"] == len(source.courses) and counts["students"] == len(source.students)
        built = build_instance(org)
        assert built.grid == source.grid and built.rules == source.rules
        for kind in ("departments", "rooms", "batches", "courses"):
            assert {x.id: x for x in getattr(built, kind)} == {x.id: x for x in getattr(source, kind)}, kind
        assert {f.id: _levels(f) for f in built.faculty} == {f.id: _levels(f) for f in source.faculty}
        assert {s.id: set(s.courses) for s in built.students} == {s.id: set(s.courses) for s in source.students}

    def test_loading_again_replaces_the_data(self) -> None:
        org = am.Organization.objects.create(name="T", slug="t")
        import_instance(org, generate_university("tiny", 0))
        import_instance(org, generate_university("tiny", 1))
        assert am.Course.objects.filter(organization=org).count() == len(generate_university("tiny", 1).courses)

    def test_core_courses_get_nep_credits(self) -> None:
        org = am.Organization.objects.create(name="T", slug="t")
        source = generate_university("tiny", 0)
        import_instance(org, source)
        lab = next(c for c in source.courses if c.session_length > 1)
        stored = am.Course.objects.get(organization=org, code=lab.id)
        assert stored.credits == max(1, lab.sessions_per_week * lab.session_length // 2)

    def test_seed_demo_loads_a_file_and_makes_an_admin(self) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "inst.json"
            save(generate_university("tiny", 0), path)
            call_command("seed_demo", file=path, org="filed", password="secret", verbosity=0)
        org = am.Organization.objects.get(slug="filed")
        assert am.Course.objects.filter(organization=org).exists()
        assert org.memberships.get().user.check_password("secret")


def test_database_url_sqlite_and_postgres() -> None:
    default = parse_database_url("", Path("/data/x.sqlite3"))
    assert default == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/data/x.sqlite3"}
    assert parse_database_url("sqlite:////abs/db.sqlite3", Path("x"))["NAME"] == "/abs/db.sqlite3"
    pg = parse_database_url("postgres://u:p%40ss@db.example:5433/tt?sslmode=require", Path("x"))
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == ("tt", "u", "p@ss", "db.example", "5433")
    assert pg["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ValueError, match="unsupported scheme"):
        parse_database_url("mysql://x/y", Path("x"))
