"""blocking-loop-no-exit: a goroutine's endless loop that blocks and can never stop."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import candidates, done_channel, receive_of_case
from goleash.lint.flow import exits_loop
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_of_go,
    called_declarations,
    declarations_by_name,
    enclosing_function,
    endless_for,
    go_call_literal,
    matches,
    program_lifetime,
    walk,
)
from goleash.model import Finding


def _blocking_ops(ctx: FileContext, loop: Node) -> tuple[str, list[Node]]:
    """The first blocking channel operation in the loop as written, and every channel it waits
    on; ('', []) when the loop never parks (a select with default polls)."""
    body = loop.child_by_field_name("body")
    if body is None:
        return "", []
    first = ""
    channels: list[Node] = []
    for node in walk(body):
        kind = node.type
        if kind == "select_statement":
            if any(c.type == "default_case" for c in node.named_children):
                return "", []
            first = first or "select"
        elif kind == "send_statement":
            first = first or ctx.text(node)
            channel = node.child_by_field_name("channel")
            if channel is not None:
                channels.append(channel)
        elif kind == "unary_expression":
            operator = node.child_by_field_name("operator")
            operand = node.child_by_field_name("operand")
            if operator is not None and operator.type == "<-" and operand is not None:
                first = first or ctx.text(node)
                channels.append(operand)
    return first, channels


def _package_vars(ctx: FileContext) -> set[str]:
    """Names of the file's top-level `var`s."""
    names: set[str] = set()
    for declaration in ctx.tree.root_node.named_children:
        if declaration.type != "var_declaration":
            continue
        for spec in walk(declaration):
            if spec.type == "var_spec":
                names.update(ctx.text(n) for n in spec.children_by_field_name("name"))
    return names


_NOTIFY = """
((call_expression
   function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
   arguments: (argument_list . (_) @channel))
 (#eq? @fn "Notify"))
"""


def _signal_channels(ctx: FileContext) -> set[str]:
    """Channels the file hands to signal.Notify: a loop reading them serves the process."""
    signal_names = ctx.imports("os/signal")
    if not signal_names:
        return set()
    names: set[str] = set()
    for match in matches(_NOTIFY, ctx.tree.root_node):
        pkg, channel = match.get("pkg"), match.get("channel")
        if pkg and channel and ctx.text(pkg[0]) in signal_names:
            names.add(ctx.text(channel[0]))
    return names


def _has_stop_case(ctx: FileContext, loop: Node) -> bool:
    """A `case <-ctx.Done():`-style case: whether it leaves is ctx-done-no-exit's question."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in walk(body):
        if node.type == "communication_case":
            receive = receive_of_case(node)
            if receive is not None and done_channel(ctx, receive):
                return True
    return False


def _started_bodies(go: Node, decls: dict[str, list[Node]]) -> list[Node]:
    """Bodies a go statement runs: its func literal, or a same-file function or method."""
    literal = go_call_literal(go)
    if literal is not None:
        body = literal.child_by_field_name("body")
        return [] if body is None else [body]
    call = call_of_go(go)
    function = call.child_by_field_name("function") if call is not None else None
    if function is None:
        return []
    bodies = (d.child_by_field_name("body") for d in called_declarations(function, decls))
    return [body for body in bodies if body is not None]


def check(ctx: FileContext) -> Iterator[Finding]:
    """Endless blocking loops in goroutines with no return, break, or stop case."""
    starts = candidates(ctx, "go")
    if not starts:
        return
    decls = declarations_by_name(candidates(ctx, "declaration"))
    seen: set[int] = set()
    package_vars: set[str] | None = None
    signals: set[str] | None = None
    for go in starts:
        starter = enclosing_function(go)
        if starter is not None and program_lifetime(starter):
            continue
        for body in _started_bodies(go, decls):
            for loop in walk(body):
                if loop.type != "for_statement" or loop.id in seen or not endless_for(loop):
                    continue
                seen.add(loop.id)
                loop_body = loop.child_by_field_name("body")
                if loop_body is None or exits_loop(loop_body, loop, ctx.package) is not None:
                    continue
                operation, channels = _blocking_ops(ctx, loop)
                if not operation or _has_stop_case(ctx, loop):
                    continue
                if b"signal.Notify" in ctx.source:
                    if signals is None:
                        signals = _signal_channels(ctx)
                    if any(ctx.text(c) in signals for c in channels):
                        continue  # a signal handler: it serves the process until it exits
                if channels and all(c.type == "identifier" for c in channels):
                    if package_vars is None:
                        package_vars = _package_vars(ctx)
                    if all(ctx.text(c) in package_vars for c in channels):
                        continue  # a process-wide service on package channels, not a leak
                yield RULE.finding(
                    ctx,
                    loop,
                    f"this goroutine's loop blocks on `{operation}` and has no way out (no "
                    "return, no break out of the loop, no ctx.Done()/quit case): it can never "
                    "stop",
                )


RULE = Rule(
    id="blocking-loop-no-exit",
    title="Goroutine loops forever on a blocking operation",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds a goroutine (`go func(){ for { … } }()` or `go s.loop()` with the method in "
            "the same file) whose endless `for` loop blocks on a receive, send or select and has "
            "no exit: no return, no break out of the loop (a break inside select only leaves the "
            "select), no ok-check on a closed channel, no ctx.Done() or quit case."
        ),
        why=(
            "Such a goroutine can never stop. When its owner (a request, a connection, a "
            "client) goes away, it stays blocked with everything it captured; creating owners "
            "repeatedly leaks one goroutine each time."
        ),
        example="""\
func (c *Client) start() {
    go func() {
        for {
            ev := <-c.events // no way out: the goroutine outlives the client
            c.handle(ev)
        }
    }()
}""",
        fix="""\
Give the loop a way out, such as a quit channel or the context:
    go func() {
        for {
            select {
            case ev := <-c.events:
                c.handle(ev)
            case <-c.quit:
                return
            }
        }
    }()""",
        known_problems=(
            "Goroutines started from main() or init(), loops that only wait on the file's "
            "package-level channels, and loops that wait on a channel given to signal.Notify "
            "in the file are skipped: they live as long as the program. A "
            "program-lifetime worker started elsewhere (a constructor called once) is reported; "
            "suppress it with `//goleash:ignore blocking-loop-no-exit reason`. A loop that is "
            "stopped by closing its channel without an ok-check becomes a busy loop rather than "
            "a stuck one; both are reported. Only literals and functions or methods declared in "
            "the same file are followed."
        ),
    ),
    check=check,
)
