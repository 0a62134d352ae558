"""Fault tests: the waiting and re-run rules with a scripted engine (Django test database), and the same
faults on real processes (``test_real_processes``)."""

from __future__ import annotations

import tests.web.support  # noqa: F401  (configures Django before any test module imports models)
