"""Django for the page tests: the web tests' settings and personas (pytest-django makes the test database)."""

from __future__ import annotations

import tests.web.support  # noqa: F401  (configures Django before any test module imports models)
