"""The ``goleash.test/1`` JSON report of a `goleash test` run (see docs/json-test.md)."""

from __future__ import annotations

import json
from typing import Any

from goleash.analysis.attribution import Leak, PackageVerdict, TestRunVerdict
from goleash.report.json import group_dict

SCHEMA = "goleash.test/1"


def _leak(leak: Leak) -> dict[str, Any]:
    return {
        "test": leak.test,
        "attributed_by": leak.how,
        "note": leak.note or None,
        **group_dict(leak.assessment),
    }


def _package(p: PackageVerdict) -> dict[str, Any]:
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
        "leaks": [_leak(leak) for leak in p.leaks.leaks],
        "ignored": [{**_leak(leak), "pack": leak.assessment.ignored} for leak in p.leaks.ignored],
        "settle_seconds": check.settle_seconds if check is not None else None,
        "settled": check.settled if check is not None else None,
        "leak_profile": check.leak_profile if check is not None else None,
        "warnings": list(p.warnings),
    }


def report_dict(run: TestRunVerdict) -> dict[str, Any]:
    """The whole run as plain data."""
    return {
        "schema": SCHEMA,
        "go_version": run.go_version,
        "exit_code": run.exit_code,
        "leaked": run.leaked,
        "packages": [_package(p) for p in run.packages],
        "warnings": list(run.warnings),
    }


def render(run: TestRunVerdict) -> str:
    """The report as one indented JSON document, newline-terminated."""
    return json.dumps(report_dict(run), indent=2, ensure_ascii=False) + "\n"
