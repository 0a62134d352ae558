"""A demo organization from the synthetic generator, with an organization admin to sign in as."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from timetabling.engine.formats.native import load_instance
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Instance
from timetabling.web.academics.instance import import_instance
from timetabling.web.academics.models import Organization
from timetabling.web.accounts.models import Membership, Role


@dataclass
class Seeded:
    organization: Organization
    counts: dict[str, int]
    username: str | None = None
    password: str | None = None


def load_source(profile: str = "small", seed: int = 0, path: Path | None = None) -> Instance:
    """A native instance file when ``path`` is given, else the generator's ``profile``."""
    return load_instance(path) if path is not None else generate_university(profile, seed)


@transaction.atomic
def seed_organization(
    instance: Instance, name: str = "Demo University", slug: str = "demo", admin_username: str | None = "admin",
    admin_password: str | None = None,
) -> Seeded:
    """Create (or refill) the organization ``slug`` from ``instance``; create its admin user when missing."""
    org, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": name})
    counts = import_instance(org, instance)
    seeded = Seeded(org, counts)
    if admin_username:
        users = get_user_model()
        if not users.objects.filter(username=admin_username).exists():
            password = admin_password or secrets.token_urlsafe(9)
            user = users.objects.create_user(admin_username, password=password, is_staff=True)
            Membership.objects.create(user=user, organization=org, role=Role.ORG_ADMIN)
            seeded.username, seeded.password = admin_username, password
    return seeded


def database_is_empty() -> bool:
    return not Organization.objects.exists()
