"""Prepare the database of a live server for the browser tests (run in its own process, before it starts):
migrate, the generator's tiny university, and one user per persona (with an e-mail address). Prints what the
tests need as JSON."""

from __future__ import annotations

import json
import os

PASSWORD = "browser-pw"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetabling.web.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from timetabling.engine.generator import generate_university
    from timetabling.web.academics import models as am
    from timetabling.web.academics.demo import seed_organization
    from timetabling.web.accounts.models import Membership, Role

    call_command("migrate", interactive=False, verbosity=0)
    org = seed_organization(generate_university("tiny", 0), name="Tiny University", slug="tiny",
                            admin_username="admin", admin_password=PASSWORD).organization
    for username, role in (("approver", Role.APPROVER), ("teacher", Role.FACULTY)):
        user = User.objects.create_user(username, password=PASSWORD)
        Membership.objects.create(user=user, organization=org, role=role)
    for user in User.objects.filter(username__in=("admin", "approver", "teacher")):  # notification e-mails
        user.email = f"{user.username}@tiny.test"
        user.save(update_fields=["email"])
    teacher = am.Faculty.objects.filter(organization=org, courses__isnull=False).order_by("code").first()
    teacher.user = User.objects.get(username="teacher")
    teacher.save()
    taught = sorted({c.course_code or c.code for c in teacher.courses.all()})
    print(json.dumps({"password": PASSWORD, "teacher": {"id": teacher.pk, "code": teacher.code, "courses": taught},
                      "rooms": am.Room.objects.filter(organization=org).count()}))


if __name__ == "__main__":
    main()
