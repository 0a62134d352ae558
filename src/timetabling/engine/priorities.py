"""Chosen priorities: the weight of each soft criterion, as people choose them for a generation.

One schema, ``SoftWeights``, validates them wherever they arrive (the web's form and API, the engine
service, the command line), so that a weight out of range or an unknown criterion is refused the same way
everywhere, naming the criterion. The criteria, their meaning and their default weights come from the
engine's one place for rules (``checker.rules.SOFT_RULES``, ``model.DEFAULT_WEIGHTS``); nothing is listed
twice. The weights are absolute (not factors): a criterion left out keeps the instance's own weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from timetabling.engine.checker.describe import describe_rule
from timetabling.engine.checker.rules import SOFT_RULES
from timetabling.engine.model import DEFAULT_WEIGHTS, Rule
from timetabling.engine.pipeline import VARIANT_PROFILES

WEIGHT_MAX = 100  # far above any preset's weight x factor (5 x 5): a larger one only drowns the others
PROFILE_NAME_MAX = 60
CUSTOM_NAME = "Custom priorities"  # the variant made from weights given without a profile name


@dataclass(frozen=True)
class Criterion:
    rule: Rule
    title: str  # "Batch idle"
    meaning: str  # one line, from the checking function's docstring
    default: int  # the weight an instance gets when it says nothing
    low: int = 0  # 0 switches the criterion off
    high: int = WEIGHT_MAX


CRITERIA: tuple[Criterion, ...] = tuple(
    Criterion(rule, describe_rule(rule).title, describe_rule(rule).meaning, DEFAULT_WEIGHTS.get(rule, 0))
    for rule in SOFT_RULES
)


class _Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def as_rules(self) -> dict[Rule, int]:
        """The weights that were given, keyed by rule, as ``PipelineOptions.custom_weights`` takes them."""
        return {Rule(name): int(w) for name, w in self.model_dump(exclude_none=True).items()}

    def given(self) -> dict[str, int]:
        """The weights that were given, by criterion name (JSON-able)."""
        return {name: int(w) for name, w in self.model_dump(exclude_none=True).items()}


# one optional field per soft criterion, its range and meaning in the JSON schema (and so in the OpenAPI file);
# an unknown criterion is an extra field and is refused under its own name
SoftWeights: type[_Weights] = create_model(  # type: ignore[call-overload]
    "SoftWeights",
    __base__=_Weights,
    __doc__="The weight of each soft criterion (0 switches it off); a criterion left out keeps its usual weight.",
    **{
        c.rule.value: (int | None, Field(default=None, ge=c.low, le=c.high, description=c.meaning))
        for c in CRITERIA
    },
)


def preset_weights(name: str, base: dict[Rule, int] | None = None) -> dict[str, int]:
    """A named variant's weights, criterion by criterion (the defaults times its factors), to start a form from."""
    base = DEFAULT_WEIGHTS if base is None else base
    factors = VARIANT_PROFILES[name]
    return {c.rule.value: base.get(c.rule, 0) * factors.get(c.rule, 1) for c in CRITERIA}


def check_profile_name(name: str) -> str:
    """A chosen-priorities profile is a variant beside the presets: a short name that is not a preset's."""
    if not name.strip() or len(name) > PROFILE_NAME_MAX:
        raise ValueError(f"a priorities name has 1 to {PROFILE_NAME_MAX} characters")
    if name in VARIANT_PROFILES:
        raise ValueError(f"'{name}' is the name of a preset variant; choose another name")
    return name


def parse_weights(data: Any) -> _Weights:
    """``SoftWeights`` from JSON-like data; raises pydantic's ValidationError naming the criterion."""
    return SoftWeights.model_validate(data)
