"""ticker-not-stopped: a ticker never stopped, or time.Tick in a returning function (Go < 1.23)."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    captures,
    enclosing_function,
    identifiers,
    in_program_lifetime,
    nodes,
    statements,
)
from goleash.model import Finding

_CALLS = """
((call_expression
   function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)) @call
 (#any-of? @fn "NewTicker" "Tick"))
"""

_JUMPS = ("return_statement", "break_statement", "goto_statement")


def _endless(func: Node) -> bool:
    """Whether a function never returns: it ends in an endless loop with no way out of it."""
    body = statements(func.child_by_field_name("body"))
    if not body:
        return False
    last = body[-1]
    if last.type == "select_statement" and not last.named_children:
        return True
    if last.type != "for_statement":
        return False
    header = [c for c in last.named_children if c.type not in ("block", "comment")]
    ranges_over_tick = (
        bool(header) and header[0].type == "range_clause" and b"Tick(" in (header[0].text or b"")
    )
    if header and not ranges_over_tick:
        return False
    return not any(enclosing_function(j) == func for j in nodes(last, *_JUMPS))


def _ticker_kept(ctx: FileContext, call: Node) -> tuple[bool, str]:
    """(handled, name): whether the NewTicker result is stopped or handed on."""
    values = call.parent
    if values is not None and values.type == "selector_expression":
        return False, ""  # time.NewTicker(d).C: the ticker itself is dropped
    if values is None or values.type != "expression_list":
        return True, ""  # returned, passed, stored in a composite literal
    holder = values.parent
    if holder is None or holder.type not in (
        "short_var_declaration",
        "assignment_statement",
        "var_spec",
    ):
        return True, ""
    left = holder.child_by_field_name("left")
    targets = (
        list(left.named_children) if left is not None else holder.children_by_field_name("name")
    )
    if len(targets) != 1 or targets[0].type != "identifier":
        return True, ""  # a field or element: its owner stops it
    name = ctx.text(targets[0])
    if name == "_":
        return False, name
    func = enclosing_function(call)
    if func is None:
        return True, name  # package-level ticker: lives with the program
    for ident in identifiers(func, name):
        if ident.start_byte <= holder.end_byte:
            continue
        parent = ident.parent
        if parent is not None and parent.type == "selector_expression":
            field = parent.child_by_field_name("field")
            member = ctx.text(field) if field is not None else ""
            if member == "Stop":
                return True, name
            continue  # t.C, t.Reset
        if parent is not None and parent.type == "expression_list":
            holder2 = parent.parent
            if holder2 is not None and holder2.child_by_field_name("left") == parent:
                continue  # reassigned
        return True, name  # returned, stored, passed: the new owner stops it
    return False, name


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report tickers that are never stopped and time.Tick in functions that return."""
    if b"Tick" not in ctx.source:
        return
    time_names = ctx.imports("time")
    if not time_names:
        return
    is_main_package = b"package main" in ctx.source[:4096]
    for call in captures(_CALLS, ctx.tree.root_node).get("call", []):
        selector = call.child_by_field_name("function")
        pkg = selector.child_by_field_name("operand")
        fn = ctx.text(selector.child_by_field_name("field"))
        if pkg is None or ctx.text(pkg) not in time_names:
            continue
        func = enclosing_function(call)
        if func is None or in_program_lifetime(call):
            continue
        if fn == "Tick":
            if is_main_package or ctx.is_test or _endless(func):
                continue
            yield RULE.finding(
                ctx,
                call,
                "time.Tick in a function that returns: the ticker can never be stopped and "
                "(before Go 1.23) is never garbage collected; use time.NewTicker and defer Stop",
            )
            continue
        handled, name = _ticker_kept(ctx, call)
        if handled or _endless(func):
            continue
        what = f"ticker `{name}`" if name and name != "_" else "this ticker"
        yield RULE.finding(
            ctx,
            call,
            f"{what} is never stopped: before Go 1.23 it keeps firing and is never garbage "
            "collected (add `defer " + (name if name and name != "_" else "t") + ".Stop()`)",
        )


RULE = Rule(
    id="ticker-not-stopped",
    title="Ticker never stopped (Go < 1.23)",
    severity="warning",
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `time.NewTicker` whose `Stop` is never called (not deferred, not returned, "
            "stored or passed on) and `time.Tick` in a function that returns."
        ),
        why=(
            "Before Go 1.23 the runtime keeps every active ticker reachable: a ticker that is "
            "not stopped is never garbage collected and keeps firing into its channel. A "
            "function called per request or per connection leaks one ticker per call. From Go "
            "1.23 unreferenced tickers are collected, so the rule only runs for modules whose "
            "go.mod says `go 1.22` or lower."
        ),
        example="""\
func (c *Client) keepAlive(conn net.Conn) {
	t := time.NewTicker(30 * time.Second) // never stopped
	for range t.C {
		if err := ping(conn); err != nil {
			return
		}
	}
}
""",
        fix="""\
Stop the ticker when the function returns:
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
""",
        known_problems=(
            "A ticker that is returned, stored or passed to a function is taken as stopped by "
            "its new owner. Tickers and time.Tick in main(), init() and their closures, in "
            "package main, and in functions that end in an endless loop are not reported: they "
            "live as long as the program."
        ),
    ),
    check=check,
    max_go=(1, 23),
)
