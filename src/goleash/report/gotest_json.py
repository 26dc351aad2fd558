"""The ``goleash.test/1`` JSON report of a `goleash test` run (see docs/json-test.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from goleash.analysis.attribution import Leak, PackageVerdict, TestRunVerdict
from goleash.report import jsondoc
from goleash.report.json import group_dict

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

SCHEMA = "goleash.test/1"


def _leak(leak: Leak, explanations: Mapping[str, Explanation] | None = None) -> dict[str, Any]:
    return {
        "test": leak.test,
        "attributed_by": leak.how,
        "note": leak.note or None,
        **group_dict(leak.assessment, (explanations or {}).get(leak.group.signature)),
    }


def _package(
    p: PackageVerdict, explanations: Mapping[str, Explanation] | None = None
) -> dict[str, Any]:
    check = p.check
    events = p.events
    return {
        "package": p.package,
        "status": p.status,
        "error": p.error,
        "failed_tests": p.failed_tests,
        "tests_run": len(events.tests) if events is not None else 0,
        "leaking_tests": p.leaking_tests,
        "leaked": p.leaks.leaked,
        "leaks": [_leak(leak, explanations) for leak in p.leaks.leaks],
        "ignored": [{**_leak(leak), "pack": leak.assessment.ignored} for leak in p.leaks.ignored],
        "settle_seconds": check.settle_seconds if check is not None else None,
        "settled": check.settled if check is not None else None,
        "leak_profile": check.leak_profile if check is not None else None,
        "warnings": list(p.warnings),
    }


def report_dict(
    run: TestRunVerdict, explanations: Mapping[str, Explanation] | None = None
) -> dict[str, Any]:
    """The whole run as plain data."""
    return {
        "schema": SCHEMA,
        "go_version": run.go_version,
        "exit_code": run.exit_code,
        "leaked": run.leaked,
        "packages": [_package(p, explanations) for p in run.packages],
        "warnings": list(run.warnings),
    }


def render(run: TestRunVerdict, explanations: Mapping[str, Explanation] | None = None) -> str:
    """The report as one indented JSON document, newline-terminated; ``explanations`` (by group
    signature) say why each leak's goroutines are never released, from the module's source."""
    data = report_dict(run, explanations)
    return jsondoc.dumps(data, end="\n")
