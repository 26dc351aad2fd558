"""The ``goleash.diff/1`` JSON report of two snapshots compared (see docs/json-diff.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from goleash.analysis.growth import Comparison, StackChange
from goleash.model import Snapshot
from goleash.report import jsondoc
from goleash.report.json import group_dict

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

SCHEMA = "goleash.diff/1"


def snapshot_dict(s: Snapshot) -> dict[str, Any]:
    """Where a snapshot came from and what it held."""
    return {
        "source": s.source,
        "format": s.format,
        "profile": s.profile,
        "taken_at": s.taken_at.isoformat() if s.taken_at else None,
        "go_version": s.go_version,
        "total": s.total,
        "unparsed": s.unparsed,
    }


def change_dict(c: StackChange, explanation: Explanation | None = None) -> dict[str, Any]:
    """One stack: the dump's group fields (of the after snapshot), then the comparison."""
    data = group_dict(c.assessment, explanation)
    data.update(
        stack_key=c.stack_key,
        before=c.before,
        after=c.after,
        delta=c.delta,
        status=c.status,
        leak=c.leak,
        growth_reasons=list(c.reasons),
    )
    data["count"] = c.after
    return data


def report_dict(
    comparison: Comparison,
    shown: tuple[StackChange, ...],
    warnings: tuple[str, ...] = (),
    explanations: Mapping[str, Explanation] | None = None,
) -> dict[str, Any]:
    """The whole report as plain data; ``shown`` are the stacks left after the user's filters."""
    before, after = comparison.before, comparison.after
    return {
        "schema": SCHEMA,
        "verdict": comparison.verdict,
        "before": snapshot_dict(before),
        "after": snapshot_dict(after),
        "total_before": before.total,
        "total_after": after.total,
        "leaks": len(comparison.leaks),
        "warnings": [*before.warnings, *after.warnings, *warnings],
        "groups": [change_dict(c, (explanations or {}).get(c.group.signature)) for c in shown],
        "min_delta": comparison.min_delta,
    }


def render(
    comparison: Comparison,
    shown: tuple[StackChange, ...],
    warnings: tuple[str, ...] = (),
    explanations: Mapping[str, Explanation] | None = None,
) -> str:
    """The report as one indented JSON document, newline-terminated."""
    data = report_dict(comparison, shown, warnings, explanations)
    return jsondoc.dumps(data, end="\n")
