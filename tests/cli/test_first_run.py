"""What a first user reads: ``timetable serve`` points at the dashboard, not the Django admin."""

from __future__ import annotations

from timetabling.cli.serve import first_steps


def test_serve_sends_a_first_user_to_the_dashboard_with_the_new_password() -> None:
    note = "demo organization 'Demo University' (id 1): 5 courses\nadmin user: admin   password: s3cret-Pw"
    text = first_steps("http://127.0.0.1:8000", note)
    assert text.splitlines()[0] == "open http://127.0.0.1:8000/ in your browser: the dashboard shows what to do first"
    assert "sign in as admin, password s3cret-Pw" in text


def test_a_later_start_names_no_password() -> None:
    assert "password" not in first_steps("http://127.0.0.1:8000", None)
