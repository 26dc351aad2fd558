"""abandoned-send: a goroutine's send that nobody may ever receive (the "starving channel")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from goleash.lint.channel_flow import (
    LocalChannel,
    Use,
    case_body,
    local_channels,
    once,
    return_between,
)
from goleash.lint.flow import (
    enclosing_loop,
    ends_path,
    exits_loop,
    loop_exits,
    never_returns_call,
)
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    contains,
    go_call_literal,
    identifier_names,
    line_of,
    program_lifetime,
)
from goleash.model import Finding

_UNBOUNDED = 1 << 30


def _select_of(receive: Node) -> tuple[Node, Node] | None:
    """(select, case) when the receive is the communication of a select case."""
    statement = receive.parent
    if statement is None or statement.type != "receive_statement":
        return None
    case = statement.parent
    if case is None or case.type != "communication_case" or case.parent is None:
        return None
    return case.parent, case


def _guarded(send: Node) -> bool:
    """A send that is one case of a select with another way out (ctx.Done, default, timeout)."""
    case = send.parent
    if case is None or case.type != "communication_case" or case.parent is None:
        return False
    cases = [
        c for c in case.parent.named_children if c.type in ("communication_case", "default_case")
    ]
    return len(cases) > 1


def _leaving_case(ctx: FileContext, chan: LocalChannel, receive: Use, go: Node) -> str:
    """Describe the other select case that can be taken instead of the receive, or ''."""
    found = _select_of(receive.node)
    if found is None:
        return ""
    select, own_case = found
    loop = enclosing_loop(select, stop=chan.func)
    if loop is not None and contains(loop, go):
        loop = None  # a new sender per iteration: one missed receive is one stuck goroutine
    for case in select.named_children:
        if case == own_case or case.type not in ("communication_case", "default_case"):
            continue
        if loop is not None and not any(exits_loop(s, loop, ctx.package) for s in case_body(case)):
            continue  # the loop comes back to the receive
        if case.type == "default_case":
            return "default"
        communication = case.child_by_field_name("communication")
        return ctx.text(communication) if communication is not None else "another case"
    return ""


def _receives_many(chan: LocalChannel, receive: Use) -> Node | None:
    """The loop that repeats this receive, if any."""
    if receive.kind == "range":
        return receive.node
    return enclosing_loop(receive.node, stop=chan.func)


def _starts(ctx: FileContext, chan: LocalChannel, go: Node, receives: list[Use]) -> int:
    """How many goroutines a go statement starts per channel: 1, a literal loop count, or
    _UNBOUNDED for a loop over data. A loop that also makes the channel, or also receives from
    it, pairs one sender with one receive per iteration: it counts once."""
    count = 1
    loop = enclosing_loop(go, stop=chan.func)
    while loop is not None and not contains(loop, chan.make):
        if any(contains(loop, r.node) for r in receives):
            return count
        count *= _iterations(ctx, loop)
        loop = enclosing_loop(loop, stop=chan.func)
    return min(count, _UNBOUNDED)


def _iterations(ctx: FileContext, loop: Node) -> int:
    """`for range 4` / `for i := 0; i < 4; i++`: 4; any other loop: _UNBOUNDED."""
    for clause in loop.named_children:
        if clause.type == "range_clause":
            right = clause.child_by_field_name("right")
            if right is not None and right.type == "int_literal":
                return _int(ctx, right)
            if right is not None and right.type == "composite_literal":
                return _elements(right)
        elif clause.type == "for_clause":
            condition = clause.child_by_field_name("condition")
            if condition is not None and condition.type == "binary_expression":
                operator = condition.child_by_field_name("operator")
                bound = condition.child_by_field_name("right")
                if operator is not None and bound is not None and bound.type == "int_literal":
                    extra = 1 if operator.type == "<=" else 0
                    return _int(ctx, bound) + extra
    return _UNBOUNDED


def _elements(literal: Node) -> int:
    """`range []string{"udp4", "udp6"}`: 2 iterations; a keyed or spread literal is unknown."""
    body = literal.child_by_field_name("body")
    if body is None:
        return _UNBOUNDED
    elements = [c for c in body.named_children if c.type != "comment"]
    if any(c.type != "literal_element" for c in elements):
        return _UNBOUNDED  # `{5: x}` sets the length by its keys
    return len(elements)


def _ends_process_after(ctx: FileContext, chan: LocalChannel, receive: Node) -> bool:
    """Does the function end the process (or panic) right after this receive?

    `log.Fatal(<-errc)`, or `fmt.Println(<-errc); os.Exit(1)`: the first answer ends the
    program, and the senders still blocked go with it.
    """
    node: Node | None = receive
    while node is not None and node != chan.func:
        if node.type == "call_expression" and never_returns_call(node, ctx.package):
            return True
        parent = node.parent
        if parent is not None and parent.type == "statement_list":
            sibling = node.next_named_sibling
            while sibling is not None:
                if sibling.type == "return_statement":
                    return False
                if ends_path(sibling, ctx.package):
                    return True
                sibling = sibling.next_named_sibling
        if node.type in ("func_literal", "for_statement"):
            return False
        node = parent
    return False


def _int(ctx: FileContext, literal: Node) -> int:
    try:
        return max(int(ctx.text(literal).replace("_", ""), 0), 0)
    except ValueError:
        return _UNBOUNDED


def _bound_by(ctx: FileContext, receive: Node) -> set[str]:
    """Names a receive's value is bound to (`err := <-errc`, `case r := <-ch:`)."""
    parent = receive.parent
    while parent is not None and parent.type == "expression_list":
        parent = parent.parent
    if parent is None or parent.type not in (
        "short_var_declaration",
        "assignment_statement",
        "receive_statement",
    ):
        return set()
    left = parent.child_by_field_name("left")
    if left is None:
        return set()
    return identifier_names(left)


def _leaves_early(ctx: FileContext, exit_node: Node, receive: Use, loop: Node) -> bool:
    """Whether leaving the receive loop here can strand senders.

    An exit in another select case (a timeout, ctx.Done) always can. An exit after the receive
    counts when it depends on the received value (`if err := <-errc; err != nil { return err }`)
    or on nothing at all; one behind a counter (`if active == 0 { return }`) is the drain
    finishing, not an early exit.
    """
    if exit_node.type == "call_expression":
        return False  # panic/Fatal: the process or the test ends, nothing waits for it
    found = _select_of(receive.node) if receive.kind == "receive" else None
    if found is not None and not contains(found[1], exit_node) and contains(found[0], exit_node):
        return True
    names = _bound_by(ctx, receive.node) if receive.kind == "receive" else set()
    parent = exit_node.parent
    guarded = False
    while parent is not None and parent != loop:
        if parent.type == "if_statement":
            guarded = True
            condition = parent.child_by_field_name("condition")
            initializer = parent.child_by_field_name("initializer")
            for part in (condition, initializer):
                if part is None:
                    continue
                if contains(part, receive.node) or identifier_names(part) & names:
                    return True
        parent = parent.parent
    return not guarded


def _values(count: int) -> str:
    return "one value is" if count == 1 else f"{count} values are"


def _describe(chan: LocalChannel) -> str:
    if chan.capacity == 0:
        return f"unbuffered channel `{chan.name}`"
    return f"channel `{chan.name}` (buffer {chan.capacity})"


def _reason(ctx: FileContext, chan: LocalChannel, sends: list[Use]) -> str:
    """Why the send can be left without a receiver, or '' when every send is matched."""
    goes = {u.where.node.id: u.where.node for u in sends if u.where.node is not None}
    receives = chan.of_kind("receive", "range")
    if not receives:
        if chan.capacity or chan.of_kind("close"):
            return ""
        return "nothing ever receives from it"
    senders = sum(_starts(ctx, chan, go, receives) for go in goes.values())
    unbounded = senders >= _UNBOUNDED
    capacity = chan.capacity or 0
    if capacity >= senders:
        return ""
    first_go = min(goes.values(), key=lambda n: n.start_byte)
    first_receive = min(receives, key=lambda u: u.node.start_byte)
    if first_receive.node.start_byte < first_go.end_byte:
        return ""  # the receive comes first (a loop or a handshake): out of this rule's reach
    ret = return_between(chan.func, first_go, first_receive.node)
    if ret is not None:
        return f"the function can return at line {line_of(ret)} before it receives"
    leaving = [(u, _leaving_case(ctx, chan, u, first_go)) for u in receives]
    if all(reason for _, reason in leaving):
        use, case = leaving[0]
        where = "the `default` case" if case == "default" else f"`{case}`"
        return (
            f"the receive at line {line_of(use.node)} is in a select that can take {where} instead"
        )
    if senders <= 1 and not unbounded:
        return ""
    if all(_ends_process_after(ctx, chan, u.node) for u in receives):
        return ""
    loops = [(u, _receives_many(chan, u)) for u in receives]
    repeated = [(u, loop) for u, loop in loops if loop is not None]
    if not repeated:
        if unbounded:
            return (
                "goroutines started in a loop send on it, but only "
                f"{_values(len(receives))} received"
            )
        if senders > len(receives) + capacity:
            return f"{senders} goroutines send on it, but only {_values(len(receives))} received"
        return ""
    for use, loop in repeated:
        body = loop.child_by_field_name("body")
        exits = [] if body is None else list(loop_exits(body, loop, ctx.package))
        exit_node = next((e for e in exits if _leaves_early(ctx, e, use, loop)), None)
        if exit_node is not None:
            return (
                f"the loop receiving from it can leave at line {line_of(exit_node)} before "
                "every sender was received"
            )
    return ""


def check(ctx: FileContext) -> Iterator[Finding]:
    """Sends in goroutines on local channels whose receiver can give up first."""
    seen: set[int] = set()  # a worker started from two places is reported once
    for chan in local_channels_with_senders(ctx):
        sends = [u for u in chan.of_kind("send") if not _guarded(u.node)]
        if not sends:
            continue
        reason = _reason(ctx, chan, sends)
        if not reason:
            continue
        for use in once(sends, seen):
            yield RULE.finding(
                ctx,
                use.node,
                f"goroutine can block forever sending on {_describe(chan)}: {reason}",
            )


def local_channels_with_senders(ctx: FileContext) -> Iterable[LocalChannel]:
    """Channels that only goroutines send on, that only this function receives from."""
    for chan in local_channels(ctx):
        if chan.escapes or chan.capacity is None or program_lifetime(chan.func):
            continue
        sends = chan.of_kind("send")
        receives = chan.of_kind("receive", "range")
        if not sends:
            continue
        if any(u.where.kind != "go" for u in sends):
            continue
        if any(u.where.kind != "own" for u in receives):
            continue
        if any(_sends_in_loop(u) for u in sends):
            continue  # a producer streaming values: range-never-closed's territory, not ours
        yield chan


def _sends_in_loop(use: Use) -> bool:
    go = use.where.node
    literal = go_call_literal(go) if go is not None else None
    return enclosing_loop(use.node, stop=literal) is not None


RULE = Rule(
    id="abandoned-send",
    title="Send on a channel whose receiver can give up first",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds a goroutine that sends on an unbuffered (or too small) channel made in the "
            "enclosing function, while that function can stop listening: the only receive is in "
            "a select with a timeout, ctx.Done() or default case, the function returns early "
            "before the receive, or several goroutines send and only the first answer is read."
        ),
        why=(
            "A send on an unbuffered channel blocks until someone receives. Once the receiver "
            "has taken the timeout or the error path, nobody ever will: the goroutine, and "
            "everything it references, stays blocked in `chan send` for the life of the "
            "process. One per request is how services grow to millions of goroutines."
        ),
        example="""\
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
    result := make(chan []byte)
    go func() {
        result <- h.backend.Fetch(r.URL.Path) // blocks forever after a timeout
    }()
    select {
    case body := <-result:
        w.Write(body)
    case <-time.After(2 * time.Second):
        http.Error(w, "timeout", http.StatusGatewayTimeout)
    }
}""",
        fix="""\
Buffer the channel for every sender (make(chan T, 1)), or send in a select with <-ctx.Done().
For a loop of senders, make(chan T, len(jobs)):
    result := make(chan []byte, 1)
    go func() {
        result <- h.backend.Fetch(r.URL.Path) // never blocks: the buffer holds the answer
    }()""",
        known_problems=(
            "Only channels made and received in the same function are followed; a channel "
            "passed to another function or stored is assumed handled. Control flow is "
            "approximated by source order: a return on another branch than the receive can be "
            "missed, and a capacity given by a variable or len(...) is trusted to be enough."
        ),
    ),
    check=check,
)
