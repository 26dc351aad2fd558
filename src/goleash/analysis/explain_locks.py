"""Who keeps a lock that goroutines wait for.

A goroutine blocked in ``Lock()`` waits for whoever holds the mutex. Two answers explain it:

- the holder is in the dump: a goroutine whose stack passes through a function that locked the
  same mutex and has not unlocked it yet (a ``defer Unlock()`` releases only at return), itself
  blocked somewhere: its stack is named;
- the holder is gone: no goroutine holds it, so a call locked it and returned without
  unlocking. The ``missing-unlock`` rule finds that return path in the source, in any function
  of the package that locks the same mutex.

A mutex is identified by the type that owns it and the path to it from the receiver
(``inv.mu`` in a method of ``*inventory`` → ``(inventory, mu)``), or by its name when it is a
package variable, so the same field read through different receiver names matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from goleash.analysis.explain_source import GoSource
from goleash.model import Finding

__all__ = ["LockId", "holds", "kept_by_return", "lock_id"]

_LOCK = re.compile(r"([\w.\[\]()*&]+?)\.(R?Lock)\(\)")
_UNLOCK = re.compile(r"([\w.\[\]()*&]+?)\.(R?Unlock)\(\)")
_HELD_AT = re.compile(r"at the return on line (\d+)")


@dataclass(frozen=True, slots=True)
class LockId:
    """A mutex as code names it: its package folder, owner type and path from the receiver."""

    folder: str
    owner: str  # the receiver's type, "" for a package variable or a local
    path: str  # `mu`, `cache.mu`


def lock_id(src: GoSource, line: int, expr: str) -> LockId:
    """The identity of the mutex ``expr`` as used at ``src:line``."""
    expr = expr.strip("()*&")
    owner = ""
    recv = src.receiver(line)
    if recv is not None:
        var, typ = recv
        if var and (expr == var or expr.startswith(var + ".")):
            owner, expr = typ, expr[len(var) + 1 :]
    return LockId(str(src.path.parent), owner, expr)


def holds(src: GoSource, line: int, lock: LockId) -> int | None:
    """The line where the function around ``src:line`` locked ``lock`` and still holds it when
    it is at ``line``; None when it does not hold it there."""
    span = src.function_lines(line)
    if span is None:
        return None
    held: int | None = None
    for n, text in src.lines_between(span[0], line - 1):
        code = text.split("//", 1)[0]
        for m in _LOCK.finditer(code):
            if lock_id(src, n, m.group(1)) == lock:
                held = n
        for m in _UNLOCK.finditer(code):
            deferred = code.lstrip().startswith("defer")
            if held is not None and not deferred and lock_id(src, n, m.group(1)) == lock:
                held = None
    return held


@dataclass(frozen=True, slots=True)
class KeptLock:
    """A ``missing-unlock`` finding on the same mutex: the Lock and the return that keeps it."""

    finding: Finding
    lock_line: int
    return_line: int
    function: str


def kept_by_return(
    lock: LockId, findings: Iterable[Finding], sources: dict[Path, GoSource | None]
) -> list[KeptLock]:
    """The ``missing-unlock`` findings whose Lock() is on the same mutex."""
    kept: list[KeptLock] = []
    for f in findings:
        if f.rule != "missing-unlock":
            continue
        src = sources.get(Path(f.file).resolve())
        if src is None:
            continue
        m = _LOCK.match(src.line_text(f.line)[max(f.column - 1, 0) :])
        if m is None or lock_id(src, f.line, m.group(1)) != lock:
            continue
        at = _HELD_AT.search(f.message)
        kept.append(KeptLock(f, f.line, int(at.group(1)) if at else 0, src.declared_name(f.line)))
    return kept
