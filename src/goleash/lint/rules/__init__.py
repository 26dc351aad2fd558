"""The rules: every module here defines one ``RULE``; they are found by discovery, not a list."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from goleash.lint.rules.base import Rule


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by id."""
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    return tuple(sorted(found, key=lambda r: r.id))


def rule_by_id(rule_id: str) -> Rule | None:
    return next((r for r in all_rules() if r.id == rule_id), None)
