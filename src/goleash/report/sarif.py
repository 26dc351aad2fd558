"""Scan results as SARIF 2.1.0, the format GitHub code scanning (and most CI viewers) read.

Paths are relative to ``%SRCROOT%`` (the folder goleash ran in) with forward slashes, columns
count Unicode code points, and each result carries a fingerprint that survives line moves, so
GitHub keeps tracking an alert when code above it changes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from goleash import __version__
from goleash.lint.engine import ScanResult
from goleash.lint.rules.base import Rule
from goleash.model import Finding
from goleash.report.findings_text import code_excerpt

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/goleash/"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _versions(rule: Rule) -> str:
    if rule.min_go and rule.max_go:
        return f"Go 1.{rule.min_go[1]} to before 1.{rule.max_go[1]}"
    if rule.min_go:
        return f"Go 1.{rule.min_go[1]} and later"
    if rule.max_go:
        return f"Go versions before 1.{rule.max_go[1]}"
    return "all Go versions"


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A SARIF reportingDescriptor: the rule's id, descriptions and help (text and markdown)."""
    d = rule.doc
    text = (
        f"{d.what}\n\nWhy is this bad?\n{d.why}\n\nExample:\n{d.example}\n\nUse instead:\n{d.fix}"
    )
    markdown = (
        f"## What it does\n\n{d.what}\n\n## Why is this bad?\n\n{d.why}\n\n"
        f"## Example\n\n```go\n{d.example.strip()}\n```\n\n"
        f"## Use instead\n\n```go\n{d.fix.strip()}\n```\n"
    )
    if d.known_problems:
        text += f"\n\nKnown problems:\n{d.known_problems}"
        markdown += f"\n## Known problems\n\n{d.known_problems}\n"
    markdown += f"\nApplies to {_versions(rule)}.\n"
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": d.what.strip()},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVELS.get(rule.severity, "warning")},
        "properties": {"tags": ["goroutine-leak", "concurrency", "reliability"]},
    }


def _artifact(file: str, root: Path) -> dict[str, str]:
    path = Path(file).resolve()
    try:
        return {"uri": path.relative_to(root).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": path.as_uri()}


def _code_point_column(finding: Finding, byte_column: int | None) -> int | None:
    """SARIF counts columns in code points; tree-sitter in bytes. Equal for ASCII lines."""
    if byte_column is None:
        return None
    excerpt = code_excerpt(finding)
    if excerpt is None:
        return byte_column
    line = excerpt[0].encode("utf-8")
    return len(line[: byte_column - 1].decode("utf-8", "replace")) + 1


def _fingerprint(finding: Finding, uri: str, occurrence: int) -> str:
    excerpt = code_excerpt(finding)
    code = " ".join(excerpt[0].split()) if excerpt else str(finding.line)
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{finding.rule}\0{uri}\0{code}\0{occurrence}".encode())
    return h.hexdigest()


def scan_to_sarif(result: ScanResult, *, root: Path | None = None) -> dict[str, Any]:
    """The SARIF log as plain data. ``root`` is %SRCROOT% (default: the current folder)."""
    base = (root or Path.cwd()).resolve()
    rules = list(result.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    seen: Counter[tuple[str, str, str]] = Counter()
    results = []
    for f in result.findings:
        artifact = _artifact(f.file, base)
        excerpt = code_excerpt(f)
        seen[(f.rule, artifact["uri"], excerpt[0].strip() if excerpt else "")] += 1
        occurrence = seen[(f.rule, artifact["uri"], excerpt[0].strip() if excerpt else "")]
        region: dict[str, int] = {
            "startLine": f.line,
            "startColumn": _code_point_column(f, f.column) or 1,
        }
        if f.end_line is not None and f.end_column is not None:
            region["endLine"] = f.end_line
            end = _code_point_column(f, f.end_column) if f.end_line == f.line else f.end_column
            region["endColumn"] = end or f.end_column
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _LEVELS.get(f.severity, "warning"),
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
            "partialFingerprints": {
                "goleashFingerprint/v1": _fingerprint(f, artifact["uri"], occurrence)
            },
        }
        if f.rule in index:
            entry["ruleIndex"] = index[f.rule]
        results.append(entry)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "goleash",
                        "informationUri": INFORMATION_URI,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [rule_descriptor(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "warning", "message": {"text": w}} for w in result.warnings
                        ],
                    }
                ],
            }
        ],
    }


def render_sarif(result: ScanResult, *, root: Path | None = None) -> str:
    """The SARIF log as indented JSON with a trailing newline."""
    return json.dumps(scan_to_sarif(result, root=root), indent=2, ensure_ascii=False) + "\n"
