"""``python -m timetabling.web create_organization NAME --admin USER [--slug SLUG] [--email E]``: the first
organization of a deployment and its admin, whose generated password is printed once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from timetabling.web.academics.models import Organization
from timetabling.web.accounts.models import Membership, Role


class Command(BaseCommand):
    help = ("Create an organization (a university) and its organization admin; the admin's password is generated "
            "and printed once (the admin changes it at /admin/password_change/).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the organization's name, e.g. 'Example University'")
        parser.add_argument("--admin", required=True, help="the organization admin's username (created)")
        parser.add_argument("--slug", help="short name in URLs (default: from the name)")
        parser.add_argument("--email", default="", help="the admin's e-mail address")

    def handle(self, *args: Any, **opts: Any) -> None:
        slug = opts["slug"] or slugify(opts["name"])[:80]
        if not slug:
            raise CommandError("the name gives no slug: pass --slug")
        users = get_user_model()
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"an organization '{slug}' exists already")
        if users.objects.filter(username=opts["admin"]).exists():
            raise CommandError(f"a user '{opts['admin']}' exists already: choose another --admin")
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, users(username=opts["admin"]))
        except ValidationError as err:  # a random 16-character password passes; say so if it ever did not
            raise CommandError("; ".join(err.messages)) from None
        with transaction.atomic():
            org = Organization.objects.create(name=opts["name"], slug=slug)
            user = users.objects.create_user(opts["admin"], email=opts["email"], password=password, is_staff=True)
            Membership.objects.create(user=user, organization=org, role=Role.ORG_ADMIN)
        self.stdout.write(f"organization '{org.name}' (slug {org.slug}, id {org.pk})")
        self.stdout.write(f"organization admin: {user.username}   password: {password}")
        self.stdout.write("sign in at /admin/ and change the password; load data there, by upload, or with "
                          f"python -m timetabling.web seed_demo --org {org.slug} --file instance.json --admin ''")
