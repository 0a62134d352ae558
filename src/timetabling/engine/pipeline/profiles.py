"""Variant weight profiles: named multipliers on an instance's own soft weights, one variant each.

The shipped profiles are data (``timetabling/data/variant_profiles.json``); ``load_profiles`` reads the same
shape from a JSON or TOML file, so that a deployment can define its own and pass them as
``PipelineOptions.profiles``. A rule the instance switched off stays off whatever its factor; hard rules
cannot be weighted.

JSON: ``{"Faculty-focused": {"faculty_preference": 5}}``; TOML: ``["Faculty-focused"]`` then
``faculty_preference = 5``.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from timetabling.engine.model import ALWAYS_HARD, Instance, Rule, Rules

Profiles = dict[str, dict[Rule, int]]  # variant name -> {soft rule: factor}
MAX_FACTOR = 100
SHIPPED = "variant_profiles.json"


class ProfileError(ValueError):
    """A profiles file that cannot be used; the message names the file, the profile and the entry."""


def parse_profiles(data: Any, source: str = "profiles") -> Profiles:
    """Profiles from JSON-like data, every entry checked: a rule that can be soft and a whole factor 0..100."""
    if not isinstance(data, dict) or not data:
        raise ProfileError(f"{source}: expected a table of named profiles, e.g. {{\"Balanced\": {{}}}}")
    soft = {r.value for r in Rule if r not in ALWAYS_HARD}
    out: Profiles = {}
    for name, factors in data.items():
        where = f"{source}, profile '{name}'"
        if not isinstance(name, str) or not name.strip():
            raise ProfileError(f"{source}: a profile needs a non-empty name")
        if not isinstance(factors, dict):
            raise ProfileError(f"{where}: expected a table of rule = factor")
        rules: dict[Rule, int] = {}
        for rule, factor in factors.items():
            if rule not in soft:
                known = ", ".join(sorted(soft))
                raise ProfileError(f"{where}: '{rule}' is not a rule that can be weighted (known: {known})")
            if isinstance(factor, bool) or not isinstance(factor, int) or not 0 <= factor <= MAX_FACTOR:
                raise ProfileError(f"{where}, rule '{rule}': the factor must be a whole number 0..{MAX_FACTOR}")
            rules[Rule(rule)] = factor
        out[name] = rules
    return out


def load_profiles(path: str | Path) -> Profiles:
    """Profiles from a ``.json`` or ``.toml`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ProfileError(f"{path}: cannot read the profiles file ({err.strerror})") from err
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ProfileError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {err}") from err
    return parse_profiles(data, str(path))


def _shipped() -> Profiles:
    text = resources.files("timetabling").joinpath("data", SHIPPED).read_text(encoding="utf-8")
    return parse_profiles(json.loads(text), SHIPPED)


VARIANT_PROFILES: Profiles = _shipped()
DEFAULT_VARIANTS = tuple(VARIANT_PROFILES)


def variant_rules(instance: Instance, name: str, profiles: Profiles,
                  custom_weights: dict[str, dict[Rule, int]]) -> Rules:
    """The rules of variant ``name``: absolute ``custom_weights`` when it is one of them, else the instance's
    weights times the profile's factors."""
    base = instance.rules
    if name in custom_weights:
        weights = {r: w for r, w in custom_weights[name].items() if not base.is_hard(r)}
        return Rules(hard=base.hard, weights={**base.weights, **weights})
    if name not in profiles:
        known = ", ".join([*profiles, *custom_weights])
        raise ValueError(f"unknown variant '{name}' (known: {known})")
    factors = profiles[name]
    return Rules(hard=base.hard, weights={r: w * factors.get(r, 1) for r, w in base.weights.items()})
