"""Suppression comments: ``//goleash:ignore RULE[,RULE2] reason`` and golangci-lint's ``//nolint``.

A comment applies to findings on its own line and, when it stands alone on its line, on the
line below it, so both styles work::

    //goleash:ignore abandoned-send the reader always drains ch
    ch <- v
    resp, _ := http.Get(u) //nolint:goleash-body-not-closed // closed by the caller

``RULE`` may be ``all``. ``//nolint`` alone, ``//nolint:goleash`` and ``//nolint:all`` silence
every goleash rule; ``//nolint:goleash-RULE`` one rule; other linters' names are ignored.
"""

from __future__ import annotations

import re

from goleash.model import Finding

_MARKERS = (b"goleash:ignore", b"nolint")
_IGNORE = re.compile(r"//\s*goleash:ignore\s+([\w\-]+(?:\s*,\s*[\w\-]+)*)")
_NOLINT = re.compile(r"//\s*nolint(?::([\w\-,\s]+?))?(?:\s|//|$)")

ALL = "*"

Suppressions = dict[int, set[str]]  # line (1-based) -> rule ids, or {"*"}


def find_suppressions(source: bytes) -> Suppressions:
    """Lines (1-based) and the rules silenced there, from the comments of one file.

    Source lines are searched rather than comment nodes: cheaper, and only wrong for a marker
    inside a string literal. A comment alone on its line also covers the line below.
    """
    if not any(m in source for m in _MARKERS):
        return {}
    result: Suppressions = {}
    for number, raw in enumerate(source.splitlines(), 1):
        if b"//" not in raw or not any(m in raw for m in _MARKERS):
            continue
        rules = _rules_in(raw.decode("utf-8", "replace"))
        if not rules:
            continue
        targets = (number, number + 1) if raw.lstrip().startswith(b"//") else (number,)
        for target in targets:
            result.setdefault(target, set()).update(rules)
    return result


def _rules_in(comment: str) -> set[str]:
    m = _IGNORE.search(comment)
    if m:
        ids = {r.strip() for r in m.group(1).split(",")}
        return {ALL} if "all" in ids else ids
    m = _NOLINT.search(comment)
    if m:
        if m.group(1) is None:
            return {ALL}
        rules: set[str] = set()
        for name in (n.strip() for n in m.group(1).split(",")):
            if name in ("goleash", "all"):
                rules.add(ALL)
            elif name.startswith("goleash-"):
                rules.add(name.removeprefix("goleash-"))
        return rules
    return set()


def is_suppressed(finding: Finding, suppressions: Suppressions) -> bool:
    """Whether a comment on the finding's line or the line above silences it."""
    rules = suppressions.get(finding.line)
    return rules is not None and (ALL in rules or finding.rule in rules)
