"""``python -m timetabling.web seed_demo [--profile small] [--file instance.json]``"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from timetabling.engine.errors import InputError
from timetabling.engine.generator import PROFILES
from timetabling.web.academics.demo import load_source, seed_organization


class Command(BaseCommand):
    help = "Load a synthetic university (or a native instance file) into an organization, with an admin user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", choices=sorted(PROFILES), default="small")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--file", type=Path, help="a native instance JSON file instead of the generator")
        parser.add_argument("--org", default="demo", help="organization slug (created when missing)")
        parser.add_argument("--name", default="Demo University", help="organization name when created")
        parser.add_argument("--admin", default="admin", help="admin username created when missing ('' for none)")
        parser.add_argument("--password", default=None, help="admin password (default: a random one, printed)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            instance = load_source(opts["profile"], opts["seed"], opts["file"])
        except InputError as err:
            raise CommandError(err.render()) from None
        seeded = seed_organization(instance, opts["name"], opts["org"], opts["admin"] or None, opts["password"])
        counts = ", ".join(f"{n} {k}" for k, n in seeded.counts.items())
        self.stdout.write(f"organization '{seeded.organization.slug}' (id {seeded.organization.pk}): {counts}")
        if seeded.username:
            self.stdout.write(f"admin user: {seeded.username} / password: {seeded.password}")
