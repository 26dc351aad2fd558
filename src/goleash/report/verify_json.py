"""The ``goleash.verify/1`` JSON report of a verify run (see docs/json-verify.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from goleash.analysis.cycles import StackSeries
from goleash.report import jsondoc
from goleash.report.json import group_dict
from goleash.verify import SettlePoint, VerifyResult

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

SCHEMA = "goleash.verify/1"


def point_dict(p: SettlePoint) -> dict[str, Any]:
    """One settled point of the run."""
    return {
        "phase": p.phase,
        "total": p.total,
        "settled": p.settled,
        "settle_seconds": round(p.settle_seconds, 3),
        "polls": p.polls,
        "load_seconds": round(p.load_seconds, 3) if p.load_seconds is not None else None,
    }


def series_dict(
    s: StackSeries, result: VerifyResult, explanations: Mapping[str, Explanation] | None = None
) -> dict[str, Any]:
    """One stack: the dump's group fields (from the evidence), then its series and verdict."""
    a = result.evidence.get(s.stack_key)
    data: dict[str, Any] = {}
    if a is not None:
        data = group_dict(a, (explanations or {}).get(a.group.signature))
    data.update(
        stack_key=s.stack_key,
        verdict=s.verdict,
        leak=s.leak,
        reason=s.reason,
        series={"start": s.start, "baseline": s.baseline, "cycles": list(s.cycles)},
        growth=s.growth,
        per_cycle=round(s.per_cycle, 3),
    )
    data["count"] = s.cycles[-1] if s.cycles else s.baseline
    return data


def report_dict(
    result: VerifyResult,
    shown: tuple[StackSeries, ...],
    explanations: Mapping[str, Explanation] | None = None,
) -> dict[str, Any]:
    """The whole report as plain data; ``shown`` are the stacks to list."""
    o = result.options
    final = result.final
    return {
        "schema": SCHEMA,
        "verdict": result.verdict,
        "url": o.url,
        "cycles": o.cycles,
        "leaks": len(result.leaks),
        "points": [point_dict(p) for p in result.points],
        "groups": [series_dict(s, result, explanations) for s in shown],
        "warnings": [*result.warnings, *(final.warnings if final is not None else ())],
        "evidence": {
            "source": final.source if final is not None else None,
            "format": final.format if final is not None else None,
            "profile": final.profile if final is not None else None,
            "go_version": final.go_version if final is not None else None,
        },
        "settle_quiet": o.settle_quiet,
        "settle_timeout": o.settle_timeout,
    }


def render(
    result: VerifyResult,
    shown: tuple[StackSeries, ...],
    explanations: Mapping[str, Explanation] | None = None,
) -> str:
    """The report as one indented JSON document, newline-terminated."""
    data = report_dict(result, shown, explanations)
    return jsondoc.dumps(data)
