"""The scheduling workflow's refusals: what a rule of the workflow says no to, in words a person can act on.

Services raise ``Refused``; the JSON API answers it as an error with ``status`` (``api.errors``), the pages
show ``message`` on the form."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """An action the workflow refuses: bad input (400), a conflict (409), too many jobs (429), ...

    ``status`` is the HTTP status that fits it, ``field`` the input it is about, ``extra`` more facts (JSON)."""

    def __init__(self, status: int, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.extra = extra
