"""The ``goleash.dump/1`` JSON report of one analysed snapshot (see docs/json-dump.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from goleash.analysis.suspects import Assessment
from goleash.model import Frame, Snapshot
from goleash.report import jsondoc

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from typing import Any

    from goleash.analysis.explain import Explanation

SCHEMA = "goleash.dump/1"


def _frame(frame: Frame | None) -> dict[str, Any] | None:
    if frame is None:
        return None
    return {"function": frame.function, "file": frame.file, "line": frame.line}


# A group with no frames at all (a profile record the runtime could not symbolise) still gets a
# blocking_site object, as the contract promises one.
_NOWHERE: dict[str, Any] = {"function": "", "file": "", "line": 0}


def _pattern(e: Explanation | None) -> dict[str, Any] | None:
    if e is None or not e.rule:
        return None
    return {
        "rule": e.rule,
        "title": e.title,
        "message": e.message,
        "fix": e.fix,
        "file": e.file,
        "line": e.line,
        "site": e.site,
    }


def explanation_dict(e: Explanation | None) -> dict[str, Any] | None:
    """Why a group will never be released, and the fix (None when goleash cannot say)."""
    if e is None:
        return None
    return {
        "text": e.text,
        "fix": e.fix,
        "objects": list(e.objects),
        "causes": [
            {"file": c.file, "line": c.line, "code": c.code, "note": c.note} for c in e.causes
        ],
        "evidence": list(e.evidence),
        "rule": e.rule or None,
    }


def group_dict(a: Assessment, explanation: Explanation | None = None) -> dict[str, Any]:
    """One group of the report: the contract's fields, then extra ones."""
    g = a.group
    return {
        "signature": g.signature,
        "count": g.count,
        "state": a.state,
        "kind": a.kind,
        "wait_minutes": list(g.wait_minutes) if g.wait_minutes is not None else None,
        "leaked": g.leaked,
        "labels": dict(g.labels),
        "blocking_site": _frame(g.blocking_site) or dict(_NOWHERE),
        "creation_site": _frame(g.creation_site),
        "frames": [_frame(f) for f in g.frames],
        "suspicion": a.suspicion,
        "reasons": list(a.reasons),
        "ignored": a.ignored,
        # Extra fields (not in the /1 contract's required set).
        "suspect": a.suspect,
        "proven": a.proven,
        "overruled_ignore": a.overruled,
        "raw_state": g.state,
        "orphans": g.orphans,
        "creator_returned": g.creator_returned,
        "elided_frames": g.elided_frames,
        "with_parent": g.with_parent,
        "locked_to_thread": g.locked_to_thread,
        "sample_ids": list(g.sample_ids),
        "pattern": _pattern(explanation),
        "explanation": explanation_dict(explanation),
    }


def report_dict(
    snapshot: Snapshot,
    shown: Sequence[Assessment],
    *,
    warnings: Sequence[str] = (),
    suspects: int | None = None,
    explanations: Mapping[str, Explanation] | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The whole report as plain data: ``shown`` are the groups left after the user's filters.

    Runtime system goroutines (listed with --all) go to ``runtime_groups``, apart from
    ``groups``, so ``total`` stays the sum of what ``groups`` can hold.
    """
    user = [a for a in shown if not a.runtime]
    runtime = [a for a in shown if a.runtime]
    return {
        "schema": SCHEMA,
        "format": snapshot.format,
        "go_version": snapshot.go_version,
        "total": snapshot.total,
        "unparsed": snapshot.unparsed,
        "warnings": [*snapshot.warnings, *warnings],
        "groups": [group_dict(a, (explanations or {}).get(a.group.signature)) for a in user],
        # Extra fields.
        "profile": snapshot.profile,
        "source": snapshot.source,
        "taken_at": snapshot.taken_at.isoformat() if snapshot.taken_at else None,
        "reported_total": snapshot.reported_total,
        "group_count": len(snapshot.groups),
        "suspects": suspects if suspects is not None else sum(a.suspect for a in shown),
        "deadlock": snapshot.deadlock,
        "runtime_total": snapshot.runtime_total,
        "runtime_groups": [group_dict(a) for a in runtime],
        "notes": list(notes),
    }


def render(
    snapshot: Snapshot,
    shown: Sequence[Assessment],
    *,
    warnings: Sequence[str] = (),
    suspects: int | None = None,
    explanations: Mapping[str, Explanation] | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The report as a JSON document (one object, indented, newline-terminated)."""
    data = report_dict(
        snapshot,
        shown,
        warnings=warnings,
        suspects=suspects,
        explanations=explanations,
        notes=notes,
    )
    return jsondoc.dumps(data, end="\n")
