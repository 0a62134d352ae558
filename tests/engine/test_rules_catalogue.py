"""The rule catalogue: every rule once, and every optimiser has a term or a written reason for each."""

from __future__ import annotations

import pytest

from timetabling.engine import rules as catalogue
from timetabling.engine.checker import rules as checker_rules
from timetabling.engine.improve import fitness
from timetabling.engine.improve.anneal import problem
from timetabling.engine.model import ALWAYS_HARD, DEFAULT_HARD, DEFAULT_WEIGHTS, Rule
from timetabling.engine.rules import CATALOGUE, NotNeeded, Optimiser, missing, register, terms
from timetabling.engine.solver import cpmodel

# each optimiser registers its terms when its module is imported
OPTIMISERS = {Optimiser.CHECKER: checker_rules, Optimiser.CPSAT: cpmodel, Optimiser.ANNEAL: problem,
              Optimiser.GENETIC: fitness}


def test_the_catalogue_holds_every_rule_with_its_defaults() -> None:
    assert set(CATALOGUE) == set(Rule)
    for rule, spec in CATALOGUE.items():
        assert spec.description
        assert spec.always_hard == (rule in ALWAYS_HARD) and spec.hard_by_default == (rule in DEFAULT_HARD)
        assert spec.default_weight == DEFAULT_WEIGHTS.get(rule, 0)


@pytest.mark.parametrize("optimiser", list(Optimiser), ids=str)
def test_every_optimiser_has_a_term_or_a_reason_for_every_rule(optimiser: Optimiser) -> None:
    assert set(OPTIMISERS) == set(Optimiser)
    assert missing(optimiser) == [], f"{OPTIMISERS[optimiser].__name__} lacks these rules"
    for rule, term in terms(optimiser).items():
        assert callable(term) or (isinstance(term, NotNeeded) and term.why), (optimiser, rule)


def test_the_checker_needs_no_reason_it_counts_every_rule() -> None:
    assert not any(isinstance(t, NotNeeded) for t in terms(Optimiser.CHECKER).values())


def test_a_soft_rule_no_optimiser_may_skip() -> None:
    """Soft by default means the optimisers must count it: only hard rules may be kept by construction."""
    for optimiser in Optimiser:
        for rule, term in terms(optimiser).items():
            if isinstance(term, NotNeeded):
                assert rule in DEFAULT_HARD, (optimiser, rule, term.why)


def test_registering_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        register(Optimiser.CHECKER, {"no_such_rule": print})  # type: ignore[dict-item]


def test_a_rule_an_optimiser_lacks_is_named(monkeypatch) -> None:
    without = {r: t for r, t in terms(Optimiser.ANNEAL).items() if r != Rule.BATCH_TRAVEL}
    monkeypatch.setitem(catalogue._TERMS, Optimiser.ANNEAL, without)
    assert missing(Optimiser.ANNEAL) == [Rule.BATCH_TRAVEL]
