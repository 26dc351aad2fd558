"""lock-order: two methods of one type take the same two receiver mutexes in opposite orders."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.locks import (
    LockEvent,
    functions_that_lock,
    held_at,
    lock_events,
    package_types,
)
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, function_name, line_of
from goleash.lint.types import receiver
from goleash.model import Finding

# (outer mutex, inner mutex) -> where the inner one is taken while the outer is held.
Pairs = dict[tuple[str, str], list[tuple[Node, LockEvent, Node]]]


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report each nested lock whose mutex pair another method of the type takes reversed."""
    if ctx.source.count(b"Lock()") < 4:
        return
    types = package_types(ctx)
    by_type: dict[str, Pairs] = {}
    for decl in functions_that_lock(ctx, types):
        if decl.type != "method_declaration":
            continue
        _, type_name = receiver(decl)
        events = [
            e for e in lock_events(ctx, decl, types) if e.key.startswith("@.") or e.key == "*"
        ]
        if len(events) < 2:
            continue
        pairs = by_type.setdefault(type_name, {})
        for event in events:
            if not event.acquires:
                continue
            for key, outer in held_at(events, event.node).items():
                if key != event.key:
                    pairs.setdefault((key, event.key), []).append((decl, outer, event.node))
    for pairs in by_type.values():
        for (a, b), places in pairs.items():
            reverse = pairs.get((b, a))
            if not reverse:
                continue
            other_decl, _, other_lock = reverse[0]
            for decl, outer, inner in places:
                if decl == other_decl:
                    continue
                yield RULE.finding(
                    ctx,
                    inner,
                    f"{function_name(decl)} takes {b[2:]} while holding {a[2:]} (line "
                    f"{line_of(outer.node)}), but {function_name(other_decl)} takes them the "
                    f"other way round (line {line_of(other_lock)}): run together, each waits "
                    "for the other forever",
                )


RULE = Rule(
    id="lock-order",
    title="Two mutexes taken in opposite orders by two methods",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds a method that locks receiver mutex B while holding receiver mutex A, when "
            "another method of the same type locks A while holding B (an AB-BA order)."
        ),
        why=(
            "When the two methods run at the same time, each takes its first mutex and waits "
            "for the other's: both goroutines block forever in `sync.(*Mutex).Lock`, and "
            "everything that needs either mutex blocks behind them. Conflicting lock order is "
            "a classic deadlock (8 of the 85 blocking bugs Tu et al. studied)."
        ),
        example="""\
func (l *Ledger) Transfer() {
	l.accounts.Lock()
	defer l.accounts.Unlock()
	l.journal.Lock() // accounts, then journal
	l.entries++
	l.journal.Unlock()
}

func (l *Ledger) Audit() {
	l.journal.Lock()
	defer l.journal.Unlock()
	l.accounts.Lock() // journal, then accounts
	l.accounts.Unlock()
}
""",
        fix="""\
Take the mutexes in one fixed order everywhere (document it next to the fields):
	l.accounts.Lock()
	l.journal.Lock()
""",
        known_problems=(
            "Only mutexes that are fields of the methods' receiver, taken directly in the two "
            "methods of one file, are compared; orders built through helper calls or across "
            "different objects (parent and child locks) are not followed. What is held follows "
            "source order."
        ),
    ),
    check=check,
)
