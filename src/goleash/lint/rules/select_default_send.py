"""select-default-send: a blocking send in the ``default`` case of a select that watches a stop
signal, so the stop can no longer be seen while the send waits."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import candidates, done_channel, receive_of_case
from goleash.lint.locks import package_types
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import CASE_TYPES, FUNCTION_TYPES, Node, nodes
from goleash.model import Finding


def _plain_sends(ctx: FileContext, case: Node) -> list[Node]:
    """Sends of a case body that are not themselves a select case (or in a closure)."""
    found = []
    for send in nodes(case, "send_statement"):
        parent = send.parent
        guarded = False
        while parent is not None and parent != case:
            if parent.type in FUNCTION_TYPES or parent.type == "communication_case":
                guarded = True
                break
            parent = parent.parent
        if not guarded:
            found.append(send)
    return found


def _buffered(ctx: FileContext, name: str, at: Node) -> bool:
    """A channel the package shows made with a buffer (a local ``make(chan T, n)`` or a field
    filled with one): the send waits only when the buffer is full."""
    if "." in name:
        return bool(package_types(ctx).buffered.get(name.rsplit(".", 1)[1]))
    func = at.parent
    while func is not None:
        if func.type in FUNCTION_TYPES:
            body = func.child_by_field_name("body")
            for line in (ctx.text(body) if body is not None else "").splitlines():
                stripped = line.strip().replace(" ", "")
                if stripped.startswith((f"{name}:=make(chan", f"{name}=make(chan")):
                    return "," in stripped.split("make(", 1)[1]
        func = func.parent
    return False


def _then_returns(send: Node) -> bool:
    """``out <- result; return``: a goroutine's one answer, handed over as it finishes (the
    receiver collects or drains it), not a stream that stops watching the stop signal."""
    following = send.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    return following is not None and following.type == "return_statement"


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report sends in `default:` of a select with a stop case."""
    if b"default:" not in ctx.source:
        return
    seen: set[int] = set()
    for case in candidates(ctx, "receive_case"):
        select = case.parent
        if select is None or select.type != "select_statement" or select.id in seen:
            continue
        receive = receive_of_case(case)
        signal = "" if receive is None else done_channel(ctx, receive)
        if not signal:
            continue
        seen.add(select.id)
        for default in select.named_children:
            if default.type != "default_case" or default.type not in CASE_TYPES:
                continue
            for send in _plain_sends(ctx, default):
                channel = send.child_by_field_name("channel")
                name = ctx.text(channel) if channel is not None else "the channel"
                if name == signal or _buffered(ctx, name, send) or _then_returns(send):
                    continue
                yield RULE.finding(
                    ctx,
                    send,
                    f"send on `{name}` in the `default` case blocks without watching "
                    f"`{signal}`: once the receiver has stopped, this goroutine waits forever "
                    "(make the send a case of the select instead)",
                )


RULE = Rule(
    id="select-default-send",
    title="Blocking send in the default case of a select with a stop case",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds a plain send statement in the `default:` case of a select that also has a "
            "cancellation case (`<-ctx.Done()`, `<-stop`, `<-done`, `<-s.quit`…)."
        ),
        why=(
            "The stop case is only looked at when the select runs. Once the select falls into "
            "`default`, the send blocks until someone receives; if the receiver has stopped "
            "(the very event the stop case was meant to catch), nobody ever will and the "
            "goroutine stays blocked in `chan send`."
        ),
        example="""\
for _, v := range values {
	select {
	case <-stop:
		return
	default:
		out <- v // blocks forever once the reader is gone
	}
}
""",
        fix="""\
Make the send a case of the same select:
	select {
	case <-stop:
		return
	case out <- v:
	}
""",
        known_problems=(
            "Stop channels are recognised by name (done, quit, stop, closing, ctx.Done()…). A "
            "channel the package shows made with a buffer is left out, and so is a send "
            "followed by `return` (one answer handed over as the goroutine ends: the receiver "
            "usually collects or drains it). A buffered channel made elsewhere is reported."
        ),
    ),
    check=check,
)
