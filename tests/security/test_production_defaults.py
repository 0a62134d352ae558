"""Production defaults (issue 13, item 3): DEBUG off unless asked for, no public secrets, a real server,
security headers, and ``check --deploy`` clean with the production settings."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import django
import httpx
import pytest
from django.http import HttpRequest, HttpResponse
from django.test import TestCase, override_settings
from django.urls import path

from timetabling.cli.serve import refusal
from timetabling.service.secret_file import is_loopback, stored_secret
from timetabling.service.signing import DEVELOPMENT_SECRET
from timetabling.web.security import ADMIN_CHANGE_LIST_STYLE

# the variables a deployment sets; each subprocess starts without them, then gets the test's
DEPLOYMENT_VARIABLES = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "TIMETABLE_ENGINE_SECRET", "DJANGO_ALLOWED_HOSTS",
                        "TIMETABLE_HTTPS", "TIMETABLE_ENGINE_URL", "TIMETABLE_ENGINE_PUBLIC_URL", "DATABASE_URL",
                        "TIMETABLE_DATA_DIR", "DJANGO_SETTINGS_MODULE")
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k3Y-" + "x7Qp9zR2mW4vB8nL1cT6yH0dF5sJ3gA" * 2,
    "TIMETABLE_ENGINE_SECRET": "engine-" + "Pz8wQ3mR7vK1xN5b" * 2,
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "timetable.example.edu",
    "TIMETABLE_HTTPS": "1",
}


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARIABLES}
    return {**env, "TIMETABLE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "timetabling.web.settings",
            **extra}


def settings_in(env: dict[str, str]) -> subprocess.CompletedProcess:
    """The web settings as a fresh interpreter sees them in ``env`` (JSON on stdout)."""
    code = ("import json, django; django.setup(); from django.conf import settings as s\n"
            "print(json.dumps({'debug': s.DEBUG, 'secret_key': s.SECRET_KEY, 'engine': s.ENGINE_SHARED_SECRET,"
            " 'session_secure': s.SESSION_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS}))")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------------------------------- settings

def test_check_deploy_passes_with_the_production_settings(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                          env=clean_env(tmp_path, **PRODUCTION), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_reports_debug_and_plain_http(tmp_path) -> None:
    env = clean_env(tmp_path, **{**PRODUCTION, "DJANGO_DEBUG": "1", "TIMETABLE_HTTPS": "0"})
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"], env=env, capture_output=True,
                          text=True, timeout=120)
    found = set(re.findall(r"security\.W\d+", done.stdout + done.stderr))
    assert {"security.W018", "security.W004", "security.W008", "security.W012"} <= found  # DEBUG, HSTS, ...


def test_debug_is_off_and_secrets_are_made_in_the_data_folder_by_default(tmp_path) -> None:
    done = settings_in(clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["debug"] is False
    assert DEVELOPMENT_SECRET not in (seen["secret_key"], seen["engine"])
    assert len(seen["secret_key"]) >= 50 and seen["secret_key"] != seen["engine"]
    for name, value in (("secret_key", seen["secret_key"]), ("engine_secret", seen["engine"])):
        kept = tmp_path / name
        assert kept.read_text().strip() == value
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = json.loads(settings_in(clean_env(tmp_path)).stdout)  # the next start keeps them
    assert (again["secret_key"], again["engine"]) == (seen["secret_key"], seen["engine"])


def test_https_turns_on_secure_cookies_and_hsts(tmp_path) -> None:
    seen = json.loads(settings_in(clean_env(tmp_path, **PRODUCTION)).stdout)
    assert (seen["session_secure"], seen["hsts"]) == (True, 31_536_000)
    plain = json.loads(settings_in(clean_env(tmp_path, **{**PRODUCTION, "TIMETABLE_HTTPS": "0"})).stdout)
    assert (plain["session_secure"], plain["hsts"]) == (False, 0)


def test_it_refuses_the_public_development_secret_with_debug_off(tmp_path) -> None:
    done = settings_in(clean_env(tmp_path, **{**PRODUCTION, "TIMETABLE_ENGINE_SECRET": DEVELOPMENT_SECRET}))
    assert done.returncode != 0 and "TIMETABLE_ENGINE_SECRET is the public development value" in done.stderr


def test_it_refuses_a_folder_secret_for_an_engine_on_another_machine(tmp_path) -> None:
    env = clean_env(tmp_path, DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
                    TIMETABLE_ENGINE_URL="http://engine.internal:8001")
    done = settings_in(env)
    assert done.returncode != 0 and "TIMETABLE_ENGINE_SECRET must be set" in done.stderr


def test_the_engine_service_alone_needs_its_secret(monkeypatch, tmp_path) -> None:
    from timetabling.service.settings import ServiceSettings

    monkeypatch.setenv("TIMETABLE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIMETABLE_ENGINE_SECRET", raising=False)
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="TIMETABLE_ENGINE_SECRET must be set"):
        ServiceSettings.from_env()
    monkeypatch.setenv("DJANGO_DEBUG", "1")  # development: the data folder's secret, the web's on this machine
    assert ServiceSettings.from_env().shared_secret == stored_secret(tmp_path / "engine_secret")


def test_a_stored_secret_is_made_once_and_only_its_owner_reads_it(tmp_path) -> None:
    first = stored_secret(tmp_path / "deep" / "secret")
    assert stored_secret(tmp_path / "deep" / "secret") == first and len(first) >= 50
    assert stat.S_IMODE((tmp_path / "deep" / "secret").stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["secret"]  # nothing left aside


# ----------------------------------------------------------------------------------------- serve

@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.1.1"])
def test_serve_listens_on_loopback_without_secrets(host: str) -> None:
    assert is_loopback(host)
    assert refusal(host, {}) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "timetable.example.edu"])
def test_serve_refuses_other_addresses_without_explicit_secrets(host: str) -> None:
    assert not is_loopback(host)
    message = refusal(host, {})
    assert message and "DJANGO_SECRET_KEY" in message and "TIMETABLE_ENGINE_SECRET" in message
    development = refusal(host, {"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"],
                                 "TIMETABLE_ENGINE_SECRET": DEVELOPMENT_SECRET})
    assert development and "TIMETABLE_ENGINE_SECRET" in development and "DJANGO_SECRET_KEY" not in development
    assert refusal(host, PRODUCTION) is None


def test_serve_on_every_interface_without_secrets_exits_with_the_reason(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "timetabling", "serve", "--host", "0.0.0.0", "--data-dir",
                           str(tmp_path), "--no-demo"], env=clean_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr and "DJANGO_SECRET_KEY" in done.stderr
    assert not (tmp_path / "timetable.sqlite3").exists()  # refused before touching anything


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a fresh interpreter, migrations, two servers
def test_serve_runs_a_production_server_with_debug_off(tmp_path) -> None:
    web, engine = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "timetabling", "serve", "--port", str(web), "--engine-port", str(engine),
         "--data-dir", str(tmp_path), "--no-demo", "--runner", "thread"],
        env=clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{web}"
    try:
        deadline = time.monotonic() + 120
        up = False
        while not up and time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                up = httpx.get(f"{base}/api/health/", timeout=2).status_code == 200
            time.sleep(0.3)
        assert up, "the web backend did not answer"
        missing = httpx.get(f"{base}/no-such-page/", timeout=5)
        assert missing.status_code == 404
        assert "URLconf" not in missing.text and "admin/" not in missing.text  # no list of URL patterns
        assert "default-src 'self'" in missing.headers["content-security-policy"]
        assert f"ws://127.0.0.1:{engine}" in missing.headers["content-security-policy"]  # the status page's
        assert missing.headers["x-frame-options"] == "DENY"
        assert missing.headers["x-content-type-options"] == "nosniff"
        assert missing.headers["referrer-policy"] == "same-origin"
        assert "server" not in missing.headers  # no development server's banner
        bad_host = httpx.get(f"{base}/admin/", headers={"Host": "attacker.example"}, timeout=5)
        assert bad_host.status_code == 400
        assert "ALLOWED_HOSTS" not in bad_host.text and "Traceback" not in bad_host.text
        css = httpx.get(f"{base}/static/admin/css/base.css", timeout=5)  # static files with DEBUG off
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert httpx.get(f"{base}/static/pages/app.js", timeout=5).status_code == 200
        assert httpx.get(f"{base}/static/..%2F..%2Fsettings.py", timeout=5).status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
    assert "DEBUG off" in output and "DEVELOPMENT MODE" not in output


# ------------------------------------------------------------------------------- pages with DEBUG off

def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug with a SECRET_KEY-looking detail")


urlpatterns = [
    path("boom/", _boom),
    path("api/boom/", _boom),
    path("", django.urls.include("timetabling.web.urls")),
]


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
class DebugOffPagesTests(TestCase):
    def test_a_missing_page_lists_no_urls(self) -> None:
        response = self.client.get("/no-such-page/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "URLconf" not in body and "boom/" not in body and "api/timetable" not in body

    def test_a_bad_host_gets_a_plain_400(self) -> None:
        response = self.client.get("/", HTTP_HOST="attacker.example")
        assert response.status_code == 400
        assert "ALLOWED_HOSTS" not in response.content.decode()

    def test_a_server_error_shows_no_traceback_or_settings(self) -> None:
        self.client.raise_request_exception = False
        with self.assertLogs("django.request", "ERROR"):
            response = self.client.get("/boom/")
        assert response.status_code == 500
        body = response.content.decode()
        assert "Traceback" not in body and "SECRET_KEY" not in body and "RuntimeError" not in body

    def test_an_api_server_error_is_json_without_details(self) -> None:
        self.client.raise_request_exception = False
        with self.assertLogs("timetabling.web.api.errors", "ERROR"):
            response = self.client.get("/api/boom/")
        assert response.status_code == 500
        assert response.json() == {"success": False, "message": "internal error"}

    def test_every_page_carries_the_content_security_policy(self) -> None:
        response = self.client.get("/admin/login/")
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy


def test_the_admin_inline_style_hash_matches_the_installed_django() -> None:
    template = Path(django.__file__).parent / "contrib/admin/templates/admin/change_list.html"
    styles = re.findall(r"<style>(.*?)</style>", template.read_text(), re.S)
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert len(styles) == 1 and f"'sha256-{digest}'" == ADMIN_CHANGE_LIST_STYLE
