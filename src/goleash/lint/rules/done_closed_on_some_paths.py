"""done-closed-on-some-paths: the parent waits on a channel that its goroutine closes (or sends
on) on some paths only."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from goleash.lint.channel_flow import local_channels
from goleash.lint.flow import enclosing_loop
from goleash.lint.resources_flow import HeldPaths
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, call_name, go_call_literal, line_of, nodes, program_lifetime
from goleash.model import Finding


def _signals(node: Node, ctx: FileContext, name: str) -> bool:
    """A statement that closes or sends on the channel (deferred or not)."""
    for call in nodes(node, "call_expression"):
        if call_name(call) == "close":
            args = call.child_by_field_name("arguments")
            if args is not None and ctx.text(args).strip("()").strip() == name:
                return True
    for send in nodes(node, "send_statement"):
        channel = send.child_by_field_name("channel")
        if channel is not None and ctx.text(channel) == name:
            return True
    return False


def _signalling(ctx: FileContext, name: str) -> Callable[[Node], bool]:
    def signals(stmt: Node) -> bool:
        return _signals(stmt, ctx, name)

    return signals


def _plain_receive(use_node: Node) -> bool:
    statement = use_node.parent
    while statement is not None and statement.type == "expression_list":
        statement = statement.parent
    return not (statement is not None and statement.type == "receive_statement")


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report the parent's receive when its goroutine can return without signalling."""
    if b"go func" not in ctx.source:
        return
    for chan in local_channels(ctx):
        if chan.escapes or program_lifetime(chan.func):
            continue
        signals = chan.of_kind("send", "close")
        if not signals or any(u.where.kind != "go" for u in signals):
            continue
        goes = {u.where.node.id: u.where.node for u in signals if u.where.node is not None}
        if len(goes) != 1:
            continue
        go = next(iter(goes.values()))
        if enclosing_loop(go, stop=chan.func) is not None:
            continue  # several children: the parent waits for the first that answers
        if any(u.kind == "send" and enclosing_loop(u.node, stop=chan.func) for u in signals):
            continue  # a producer streaming values, not a done signal
        literal = go_call_literal(go)
        body = literal.child_by_field_name("body") if literal is not None else None
        if body is None:
            continue
        waits = [
            u
            for u in chan.of_kind("receive")
            if u.where.kind == "own" and _plain_receive(u.node) and u.node.start_byte > go.end_byte
        ]
        if not waits or chan.of_kind("range"):
            continue
        exits = HeldPaths(ctx, _signalling(ctx, chan.name)).leaks_in(body)
        returns = [e for e in exits if e.kind == "return"]
        if not returns:
            continue
        yield RULE.finding(
            ctx,
            waits[0].node,
            f"waits for `{chan.name}`, but the goroutine started at line {line_of(go)} can "
            f"return at line {returns[0].line} without closing or sending on it: this receive "
            "then blocks forever (close it with `defer close(...)` in the goroutine)",
        )


RULE = Rule(
    id="done-closed-on-some-paths",
    title="Parent waits on a channel the goroutine signals on some paths only",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds a function that makes a channel, starts one goroutine that closes it or "
            "sends on it, and then waits in a plain receive (`<-done`), when the goroutine has "
            "a `return` that leaves without closing or sending."
        ),
        why=(
            "The parent's receive only ends when the goroutine signals. On the path that "
            "returns early (an error, a skipped case) nothing ever does, so the parent blocks "
            "forever in `chan receive`, and with it whatever request or shutdown it serves "
            "(moby#33781 and similar start/stop handshakes)."
        ),
        example="""\
done := make(chan struct{})
go func() {
	if err := start(); err != nil {
		return // done is never closed
	}
	close(done)
}()
<-done
""",
        fix="""\
Close the channel with defer, so every path signals:
	go func() {
		defer close(done)
		if err := start(); err != nil {
			return
		}
	}()
""",
        known_problems=(
            "Only a channel made in the function, signalled by one goroutine started there as a "
            "function literal, and waited on in a plain receive (not a select with a timeout) "
            "is checked. A `panic` path is not counted as a return."
        ),
    ),
    check=check,
)
