"""What the web backend needs, checked from where it runs: its database (reachable, migrated, an
organization with an admin), the engine service (reachable, and taking our credential: a signed call the
engine verifies), and production settings when it is reached from other machines. ``timetable doctor``
prints these; ``/api/health/?detail=1`` shows them to organization admins."""

from __future__ import annotations

import os

import httpx
from django.conf import settings

from timetabling.service.doctor import Check, debug_check, guarded, host_of
from timetabling.service.secret_file import is_loopback
from timetabling.service.signing import EngineAuth


def web_checks(timeout_s: float = 5.0) -> list[Check]:
    checks = guarded("database", database_check)
    if checks[0].ok:
        checks += guarded("migrations", migrations_check)
        if checks[-1].ok:
            checks += guarded("organization", organization_check)
    checks += guarded("engine service", lambda: engine_check(timeout_s))
    checks += guarded("web production settings", production_checks)
    return checks


def database_check() -> Check:
    from django.db import connection

    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else \
        f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"
    try:
        connection.ensure_connection()
    except Exception as err:
        return Check("database", False, f"{connection.vendor} {where} not reachable: {str(err).strip()[:300]}",
                     "start PostgreSQL, allow this machine in pg_hba.conf, or correct DATABASE_URL")
    return Check("database", True, f"{connection.vendor} {where}")


def migrations_check() -> Check:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        return Check("migrations", False, f"{len(plan)} not applied ({names}{' ...' if len(plan) > 3 else ''})",
                     "python -m timetabling.web migrate")
    return Check("migrations", True, "every migration applied")


def organization_check() -> Check:
    from timetabling.web.academics.models import Organization
    from timetabling.web.accounts.models import Membership, Role

    orgs = Organization.objects.count()
    if not orgs:
        return Check("organization", False, "no organization: nobody can sign in to generate",
                     "python -m timetabling.web create_organization 'Your University' --admin USERNAME")
    admins = Membership.objects.filter(role=Role.ORG_ADMIN, user__is_active=True).count()
    if not admins:
        return Check("organization", False, f"{orgs} organization(s) but no organization admin",
                     "python -m timetabling.web create_organization 'Your University' --admin USERNAME")
    return Check("organization", True, f"{orgs} organization(s), {admins} organization admin(s)")


def engine_check(timeout_s: float = 5.0) -> list[Check]:
    """The engine answers its health page, and shows its figures only to a caller whose credential it
    verified: that is our signed round trip."""
    url = settings.ENGINE_URL
    try:
        anonymous = httpx.get(f"{url}/health", timeout=timeout_s)
        signed = httpx.get(f"{url}/health", timeout=timeout_s,
                           auth=EngineAuth(settings.ENGINE_SHARED_SECRET, prefix=httpx.URL(url).path))
    except httpx.HTTPError as err:
        return [Check("engine service", False, f"{url} not reachable from here: {err}",
                      "start the engine service (uvicorn --factory timetabling.service.app:app_from_env), open its "
                      "port to this machine, or correct TIMETABLE_ENGINE_URL")]
    if anonymous.status_code != 200:
        return [Check("engine service", False, f"{url}/health answered {anonymous.status_code}",
                      "is TIMETABLE_ENGINE_URL the engine service?")]
    checks = [Check("engine service", True, f"{url} answers")]
    try:
        resources = signed.json().get("resources")
    except ValueError:
        resources = None
    if resources:
        checks.append(Check("engine credential", True, f"the engine verified a signed call (same "
                            f"TIMETABLE_ENGINE_SECRET); runner {resources.get('runner')}"))
    else:
        checks.append(Check("engine credential", False, "the engine did not accept the web backend's signed call: "
                            "the shared secret differs (or the clocks differ by more than 5 minutes)",
                            "set TIMETABLE_ENGINE_SECRET to the same value on the web backend and the engine "
                            "service, restart both; keep the clocks in sync (NTP)"))
    return checks


def production_checks() -> list[Check]:
    """DEBUG off and secrets of its own when others reach it; a note when no HTTPS is configured."""
    hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("testserver", "*")]
    reached = [f"http://{h.lstrip('.')}" for h in hosts] + [settings.ENGINE_URL]
    beyond = [h for h in map(host_of, reached) if h and not is_loopback(h)]
    checks = [debug_check({"DJANGO_DEBUG": "1" if settings.DEBUG else "0"}, reached, "web")]
    if beyond:
        missing = [n for n in ("DJANGO_SECRET_KEY", "TIMETABLE_ENGINE_SECRET") if not os.environ.get(n)]
        checks.append(Check("web secrets", not missing, "from the environment" if not missing else
                            f"{' and '.join(missing)} not set: a value made in this machine's data folder is used",
                            "" if not missing else "export them (long random values; TIMETABLE_ENGINE_SECRET the "
                            "engine service's)"))
        if not settings.HTTPS:
            checks.append(Check("https", None, "TIMETABLE_HTTPS is not set: cookies are not marked secure",
                                "serve the site over HTTPS through a proxy and set TIMETABLE_HTTPS=1"))
    if "*" in settings.ALLOWED_HOSTS:
        checks.append(Check("allowed hosts", False, "DJANGO_ALLOWED_HOSTS allows any name",
                            "list the site's names in DJANGO_ALLOWED_HOSTS"))
    return checks
