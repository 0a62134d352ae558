"""``create_api_token USER --name NAME [--days N]``: an API token for a script; printed once, stored hashed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from timetabling.web.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Make an API token for a user (Authorization: Bearer <token>); the token is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument("--days", type=int, default=None, help="valid for this many days (default: no end)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user '{options['username']}'")
        if not user.is_active:
            raise CommandError(f"the user '{user.username}' is inactive")
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        record, token = ApiToken.issue(user, options["name"], expires_at)
        until = f"until {expires_at:%Y-%m-%d %H:%M %Z}" if expires_at else "until it is deleted"
        self.stderr.write(f"API token '{record.name}' for {user.username}, valid {until}; it is not shown again:")
        self.stdout.write(token)
