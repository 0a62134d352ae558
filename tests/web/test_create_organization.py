"""``create_organization NAME --admin USER``: a deployment's first organization and its admin, whose generated
password is printed once and signs in."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from timetabling.web.academics.models import Organization
from timetabling.web.accounts.models import Membership, Role


class CreateOrganizationTests(TestCase):
    def test_it_makes_the_organization_and_an_admin_who_can_sign_in(self) -> None:
        out = io.StringIO()
        call_command("create_organization", "Example University", "--admin", "registrar", stdout=out)
        org = Organization.objects.get(slug="example-university")
        membership = Membership.objects.get(user__username="registrar")
        assert membership.organization == org and membership.role == Role.ORG_ADMIN
        password = out.getvalue().split("password: ", 1)[1].split()[0]
        assert membership.user.check_password(password) and membership.user.is_active
        self.client.force_login(membership.user)
        assert self.client.get("/api/auth/me/").json()["organization"]["id"] == org.pk

    def test_it_refuses_an_existing_organization_or_user(self) -> None:
        call_command("create_organization", "Example University", "--admin", "registrar", stdout=io.StringIO())
        with pytest.raises(CommandError, match="exists already"):
            call_command("create_organization", "Example University", "--admin", "other", stdout=io.StringIO())
        with pytest.raises(CommandError, match="user 'registrar' exists already"):
            call_command("create_organization", "Second", "--admin", "registrar", stdout=io.StringIO())
