"""time-after-in-loop: ``case <-time.After(d)`` in a select inside a loop (Go < 1.23)."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.flow import inside_loop
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, captures, enclosing_function
from goleash.model import Finding

_CASES = """
((communication_case
   communication: (receive_statement
     right: (unary_expression
       operand: (call_expression
         function: (selector_expression
           operand: (identifier) @pkg
           field: (field_identifier) @fn)))))
 @case
 (#eq? @fn "After"))
"""


def _package_of(case: Node) -> Node | None:
    """The package identifier in `case <-pkg.After(d):`."""
    receive = case.child_by_field_name("communication")
    right = receive.child_by_field_name("right") if receive is not None else None
    call = right.child_by_field_name("operand") if right is not None else None
    selector = call.child_by_field_name("function") if call is not None else None
    return selector.child_by_field_name("operand") if selector is not None else None


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report time.After cases of selects that run in a loop."""
    if b"time.After(" not in ctx.source and b".After(" not in ctx.source:
        return
    time_names = ctx.imports("time")
    if not time_names:
        return
    for case in captures(_CASES, ctx.tree.root_node).get("case", []):
        pkg = _package_of(case)
        if pkg is None or ctx.text(pkg) not in time_names:
            continue
        if not inside_loop(case, enclosing_function(case)):
            continue
        yield RULE.finding(
            ctx,
            case,
            "time.After in a select inside a loop creates a new timer on every iteration; "
            "before Go 1.23 none is collected until it fires, so a busy loop piles them up "
            "(use one time.NewTimer and Reset it, or upgrade the module to go 1.23)",
        )


RULE = Rule(
    id="time-after-in-loop",
    title="time.After in a select loop (Go < 1.23)",
    severity="warning",
    doc=RuleDoc(
        what="Finds `case <-time.After(d):` in a `select` that runs inside a `for` loop.",
        why=(
            "Each iteration creates a new timer. Before Go 1.23 a timer is not garbage "
            "collected until it fires, so when the other cases win quickly (a busy channel) "
            "thousands of pending timers accumulate, each holding memory for the whole "
            "duration `d`. From Go 1.23 unreferenced timers are collected and this is harmless."
        ),
        example="""\
for {
	select {
	case msg := <-msgs:
		handle(msg)
	case <-time.After(time.Minute): // a new timer on every message
		return errIdle
	}
}
""",
        fix="""\
Create one timer and reset it on each iteration:
	idle := time.NewTimer(time.Minute)
	defer idle.Stop()
	for {
		select {
		case msg := <-msgs:
			handle(msg)
			idle.Reset(time.Minute)
		case <-idle.C:
			return errIdle
		}
	}
""",
        known_problems=(
            "Reported for every such loop, even when the loop runs rarely or `d` is short and "
            "the cost is negligible. Only a `time.After` directly in the case is recognised."
        ),
    ),
    check=check,
    max_go=(1, 23),
)
