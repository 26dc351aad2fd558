"""Scan results as JSON, schema ``goleash.scan/1`` (documented in docs/json-scan.md)."""

from __future__ import annotations

from typing import Any

from goleash.lint.engine import ScanResult
from goleash.report import jsondoc

SCHEMA = "goleash.scan/1"


def scan_to_dict(result: ScanResult) -> dict[str, Any]:
    """The JSON document as plain data."""
    return {
        "schema": SCHEMA,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "file": f.file,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "message": f.message,
                "fix": f.fix,
            }
            for f in result.findings
        ],
        "files": result.files_scanned,
        "lines": result.lines_scanned,
        "parse_errors": [
            {
                "file": path,
                "errors": n,
                "line": result.unparsed.get(path, (0, ()))[0],
                "skipped_functions": [
                    s for s in result.unparsed.get(path, (0, ()))[1] if s != "top level"
                ],
            }
            for path, n in result.parse_errors
        ],
        "warnings": list(result.warnings),
    }


def render_json(result: ScanResult) -> str:
    """The JSON document, indented, with a trailing newline."""
    return jsondoc.dumps(scan_to_dict(result), end="\n")
