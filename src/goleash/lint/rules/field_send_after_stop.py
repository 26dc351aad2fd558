"""field-send-after-stop: a method sends on a channel field whose only receiving loop (another
method of the type) can stop on a stop channel or context, leaving the send with no receiver."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import candidates, case_body, done_channel, receive_of_case
from goleash.lint.flow import enclosing_loop, exits_loop
from goleash.lint.locks import package_types
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, enclosing_function, line_of, nodes
from goleash.lint.types import CHAN, receiver
from goleash.model import Finding


def _field_of(ctx: FileContext, expr: Node, var: str) -> str:
    """``s.events`` on the method's receiver ``s``: 'events'."""
    if expr.type != "selector_expression" or not var:
        return ""
    base = expr.child_by_field_name("operand")
    name = expr.child_by_field_name("field")
    if base is None or name is None or ctx.text(base) != var:
        return ""
    return ctx.text(name)


def _own(node: Node, func: Node) -> bool:
    """Whether ``node`` belongs to ``func`` itself, not to a function literal inside it."""
    return bool(enclosing_function(node) == func)


def _receiving_loops(ctx: FileContext) -> dict[int, dict[str, tuple[Node, str]]]:
    """Per method (node id): the channel fields it receives from in a select of a loop that
    can leave on a stop case: field -> (the stop case, its signal). Found from the file's
    receive cases, so files without selects cost nothing."""
    found: dict[int, dict[str, tuple[Node, str]]] = {}
    selects: dict[int, Node] = {}
    for case in candidates(ctx, "receive_case"):
        if case.parent is not None and case.parent.type == "select_statement":
            selects[case.parent.id] = case.parent
    for select in selects.values():
        method = enclosing_function(select)
        if method is None or method.type != "method_declaration":
            continue
        var, _ = receiver(method)
        loop = enclosing_loop(select)
        if loop is None or not var:
            continue
        fields: list[str] = []
        stop: tuple[Node, str] | None = None
        for case in select.named_children:
            if case.type != "communication_case":
                continue
            receive = receive_of_case(case)
            if receive is None:
                continue
            signal = done_channel(ctx, receive)
            if signal and any(exits_loop(s, loop, ctx.package) for s in case_body(case)):
                stop = (case, signal)
                continue
            operand = receive.child_by_field_name("operand")
            field = _field_of(ctx, operand, var) if operand is not None else ""
            if field:
                fields.append(field)
        if stop is not None:
            for field in fields:
                found.setdefault(method.id, {}).setdefault(field, stop)
    return found


def _plain_sends(ctx: FileContext, method: Node, var: str) -> list[tuple[str, Node]]:
    body = method.child_by_field_name("body")
    if body is None:
        return []
    sends = []
    for send in nodes(body, "send_statement"):
        if not _own(send, method):
            continue
        parent = send.parent
        if parent is not None and parent.type == "communication_case":
            continue
        channel = send.child_by_field_name("channel")
        field = _field_of(ctx, channel, var) if channel is not None else ""
        if field:
            sends.append((field, send))
    return sends


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report plain sends on a channel field whose receiving loop may have stopped."""
    if b"<-" not in ctx.source or b"select" not in ctx.source:
        return
    receiving_loops = _receiving_loops(ctx)
    if not receiving_loops:
        return
    types = package_types(ctx)
    methods = [n for n in ctx.tree.root_node.named_children if n.type == "method_declaration"]
    loops: dict[str, dict[str, tuple[Node, Node, str]]] = {}
    for method in methods:
        _, type_name = receiver(method)
        for field, (case, signal) in receiving_loops.get(method.id, {}).items():
            # Made unbuffered where the package shows it (unknown: not reported).
            if types.field_kind(type_name, field) == CHAN and types.buffered.get(field) is False:
                loops.setdefault(type_name, {}).setdefault(field, (method, case, signal))
    if not loops:
        return
    for method in methods:
        var, type_name = receiver(method)
        receiving = loops.get(type_name, {})
        for field, send in _plain_sends(ctx, method, var):
            if field not in receiving:
                continue
            loop_method, case, signal = receiving[field]
            if loop_method == method:
                continue
            name = loop_method.child_by_field_name("name")
            spelled = ctx.text(name) if name is not None else "the receiving loop"
            yield RULE.finding(
                ctx,
                send,
                f"send on `{ctx.text(send.child_by_field_name('channel'))}` has no way out: "
                f"its only receiver, {spelled}, returns on `{signal}` (line {line_of(case)}), "
                "after which this send blocks forever (select on the same stop signal here)",
            )


RULE = Rule(
    id="field-send-after-stop",
    title="Send on a struct's channel whose receiving loop can stop first",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds a plain send on a channel field of the receiver (`w.events <- e`) in one "
            "method, when another method of the same type receives from that field in a "
            "select loop that returns on a stop channel or `ctx.Done()`. The channel must be "
            "unbuffered as far as the package shows."
        ),
        why=(
            "The receiving loop is usually the object's run goroutine. After Stop or "
            "cancellation it returns, and nothing receives from the field any more: every later "
            "call of the sending method blocks forever in `chan send`, taking the caller's "
            "goroutine with it (grpc#1424, kubernetes#5316 and many watcher/notifier bugs)."
        ),
        example="""\
func (w *Watcher) run() {
	for {
		select {
		case <-w.stop:
			return
		case e := <-w.events:
			w.handle(e)
		}
	}
}

func (w *Watcher) Notify(e Event) {
	w.events <- e // blocks forever after Stop
}
""",
        fix="""\
Select on the same stop signal in the sender:
	select {
	case w.events <- e:
	case <-w.stop:
	}
""",
        known_problems=(
            "Methods of one file only. A sender that is only called before the loop can stop "
            "(during construction) is reported too; stop channels are recognised by name."
        ),
    ),
    check=check,
)
