"""The security suite: the probes of an attacker and a careless operator, kept as tests (issue 13)."""

from __future__ import annotations

import tests.web.support  # noqa: F401  (configures Django before any test module imports models)
