"""Django for the web tests (pytest-django creates the test database for Django's test cases)."""

from __future__ import annotations

import tests.web.support  # noqa: F401  (configures Django before any test module imports models)
