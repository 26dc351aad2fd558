"""time-after-in-loop: ``case <-time.After(d)`` in a select inside a loop (Go < 1.23)."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import case_body, done_channel, receive_of_case
from goleash.lint.flow import enclosing_loop, ends_path, exits_loop, inside_loop
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


def _leaves(ctx: FileContext, last: Node, loop: Node) -> bool:
    """Does a case body's last statement leave the loop on every path through the case?"""
    if last.type == "expression_statement":
        return ends_path(last, ctx.package)
    if last.type not in ("return_statement", "goto_statement", "break_statement"):
        return False
    return exits_loop(last, loop, ctx.package) is not None


def _others_come_back(ctx: FileContext, case: Node) -> bool:
    """Can another case of the select win and bring the loop back to a new time.After?

    Timers pile up only then. A case that leaves the loop (``case <-stop: return``) ends the
    loop with at most one timer pending; a cancellation case (``<-ctx.Done()``, ``<-s.quit``)
    wins once, and a loop that does not stop on it is ctx-done-no-exit's finding: the
    wait-or-quit loop never piles up. A named channel counts as cancellation only with an
    empty case body in a loop that does not count (``for {}``, ``for cond {}``): ``case
    <-finished: count++`` and ``for i := range n { case <-done: }`` wait for a stream of
    completions, one timer left pending per completion.
    """
    select = case.parent
    loop = enclosing_loop(case)
    if select is None or loop is None:
        return True
    counted = any(c.type in ("range_clause", "for_clause") for c in loop.named_children)
    for other in select.named_children:
        if other == case or other.type not in ("communication_case", "default_case"):
            continue
        body = case_body(other)
        if body and _leaves(ctx, body[-1], loop):
            continue
        receive = receive_of_case(other) if other.type == "communication_case" else None
        signal = done_channel(ctx, receive) if receive is not None else ""
        if signal and (signal.endswith(".Done()") or (not body and not counted)):
            continue  # `case <-ctx.Done():`, or `case <-stopCh:` that only stops the wait
        return True
    return False


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
        if not _others_come_back(ctx, case):
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
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `case <-time.After(d):` in a `select` that runs inside a `for` loop, when "
            "another case of that select (a data channel, a send, `default`) can win and bring "
            "the loop back to a fresh time.After."
        ),
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
            "the cost is negligible. Only a `time.After` directly in the case is recognised. "
            "Not reported when every other case leaves the loop or waits for cancellation "
            "(`case <-stop: return`): then at most one timer is pending at a time."
        ),
    ),
    check=check,
    max_go=(1, 23),
)
