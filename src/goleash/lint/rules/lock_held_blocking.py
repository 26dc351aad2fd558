"""lock-held-blocking: a channel operation or WaitGroup.Wait while holding a mutex that the
goroutine on the other side needs before it can answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from goleash.lint.flow import enclosing_loop
from goleash.lint.locks import (
    LockEvent,
    functions_that_lock,
    held_at,
    lock_events,
    owner,
    package_types,
)
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    FUNCTION_TYPES,
    Node,
    contains,
    enclosing_function,
    function_name,
    line_of,
    nodes,
)
from goleash.lint.types import CHAN, WAITGROUP, PackageTypes, local_kind, receiver
from goleash.model import Finding


@dataclass(frozen=True)
class _Op:
    kind: str  # send, receive, wait (and, for partners, done)
    key: str  # the channel or WaitGroup, receiver written as "@"
    node: Node


def _key(ctx: FileContext, operand: Node, func: Node) -> str:
    var, _ = receiver(owner(func))
    if operand.type == "selector_expression":
        base = operand.child_by_field_name("operand")
        name = operand.child_by_field_name("field")
        if base is not None and name is not None and var and ctx.text(base) == var:
            return f"@.{ctx.text(name)}"
    return ctx.text(operand)


def _kind(ctx: FileContext, operand: Node, types: PackageTypes, func: Node) -> str:
    if operand.type == "selector_expression":
        name = operand.child_by_field_name("field")
        base = operand.child_by_field_name("operand")
        var, type_name = receiver(owner(func))
        on_receiver = base is not None and var and ctx.text(base) == var
        return types.field_kind(type_name if on_receiver else "", ctx.text(name)) if name else ""
    if operand.type == "identifier":
        return local_kind(ctx.source, ctx.text(operand), operand)
    return ""


def _own(node: Node, func: Node) -> bool:
    """Whether ``node`` belongs to ``func`` itself, not to a function literal inside it."""
    return bool(enclosing_function(node) == func)


def _in_select(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("expression_list", "receive_statement"):
        parent = parent.parent
    return parent is not None and parent.type == "communication_case"


def _ops(ctx: FileContext, func: Node, types: PackageTypes, partner: bool) -> list[_Op]:
    """Channel sends/receives and WaitGroup waits (or, for partners, also Done calls and
    ranges) of a function's own body. A select case is not a blocking operation of its own."""
    body = func.child_by_field_name("body")
    if body is None:
        return []
    found: list[_Op] = []
    for node in nodes(
        body, "send_statement", "unary_expression", "call_expression", "range_clause"
    ):
        if not _own(node, func):
            continue
        if node.type == "send_statement":
            channel = node.child_by_field_name("channel")
            if channel is not None and (partner or not _in_select(node)):
                found.append(_Op("send", _key(ctx, channel, func), node))
        elif node.type == "unary_expression":
            operator = node.child_by_field_name("operator")
            operand = node.child_by_field_name("operand")
            if operator is None or operator.type != "<-" or operand is None:
                continue
            if partner or not _in_select(node):
                found.append(_Op("receive", _key(ctx, operand, func), node))
        elif node.type == "range_clause" and partner:
            over = node.child_by_field_name("right")
            if over is not None:
                found.append(_Op("receive", _key(ctx, over, func), node))
        elif node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is None or function.type != "selector_expression":
                continue
            method = function.child_by_field_name("field")
            operand = function.child_by_field_name("operand")
            if method is None or operand is None:
                continue
            name = ctx.text(method)
            if name == "Wait" and not partner:
                if _kind(ctx, operand, types, func) == WAITGROUP:
                    found.append(_Op("wait", _key(ctx, operand, func), node))
            elif name == "Done" and partner:
                found.append(_Op("done", _key(ctx, operand, func), node))
    return found


_PARTNER = {"send": "receive", "receive": "send", "wait": "done"}


def _functions(ctx: FileContext) -> list[Node]:
    """Every function of the file (asked only when a blocking operation under a lock needs
    its partners)."""
    return ctx.memo(
        "functions",
        lambda: nodes(
            ctx.tree.root_node, "function_declaration", "method_declaration", "func_literal"
        ),
    )


def _partners(ctx: FileContext, func: Node, candidates: list[Node]) -> list[Node]:
    """Functions that may run concurrently with ``func``'s operation and share its receiver or
    locals: the other methods of the same type (and their literals), and the function
    literals of the same declaration."""
    own_decl = owner(func)
    _, own_type = receiver(own_decl)
    found = []
    for other in candidates:
        if other == func:
            continue
        decl = owner(other)
        if decl == own_decl or (own_type and receiver(decl)[1] == own_type):
            found.append(other)
    return found


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report blocking operations under a lock whose partner takes the same lock."""
    if b"Lock()" not in ctx.source:
        return
    types = package_types(ctx)
    for func in functions_that_lock(ctx, types):
        body = func.child_by_field_name("body")
        text = ctx.source[body.start_byte : body.end_byte] if body is not None else b""
        if b"<-" not in text and b".Wait()" not in text:
            continue  # no channel operation and no Wait: nothing here can block on a partner
        events = lock_events(ctx, func, types)
        for op in _ops(ctx, func, types, partner=False):
            if op.kind != "wait":
                field = op.key[2:] if op.key.startswith("@.") else ""
                if field and types.buffered.get(field, True):
                    # Made with a buffer (a queue: the send waits only when it is full), or
                    # made where the package does not show: not known to block.
                    continue
                if not field and not _unbuffered_local(ctx, op):
                    continue
            held = held_at(events, op.node)
            held = {k: e for k, e in held.items() if not _handed_off(ctx, func, k, types)}
            if not held:
                continue
            finding = _with_partner(ctx, func, op, held, _functions(ctx), types)
            if finding is not None:
                yield finding


def _unbuffered_local(ctx: FileContext, op: _Op) -> bool:
    """A local channel made in view without a buffer (``make(chan T)``)."""
    if not op.key.isidentifier():
        return False
    return local_kind(ctx.source, op.key, op.node) == CHAN and _made_unbuffered(ctx, op)


def _made_unbuffered(ctx: FileContext, op: _Op) -> bool:
    func = op.node.parent
    while func is not None:
        if func.type in FUNCTION_TYPES:
            body = func.child_by_field_name("body")
            text = ctx.text(body) if body is not None else ""
            for line in text.splitlines():
                stripped = line.strip()
                if stripped.startswith(f"{op.key} := make(chan") or stripped.startswith(
                    f"{op.key} = make(chan"
                ):
                    return stripped.endswith(")") and "," not in stripped.split("make(", 1)[1]
        func = func.parent
    return False


def _before(lock: Node, op: Node, holder: Node) -> bool:
    """Whether the partner takes the lock before it gets to its operation: earlier in the
    source, or the operation is deferred (it runs at the end), or both sit in one loop (the
    next round's operation comes after this round's lock)."""
    if lock.start_byte < op.start_byte:
        return True
    parent = op.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type == "defer_statement":
            return True
        parent = parent.parent
    loop = enclosing_loop(lock)
    if loop is None or contains(loop, holder):
        return False  # a loop that also starts the holder pairs them afresh each round
    return bool(loop.start_byte <= op.start_byte < loop.end_byte)


def _handed_off(ctx: FileContext, func: Node, key: str, types: PackageTypes) -> bool:
    """A function literal inside ``func`` unlocks the mutex: the lock is handed to another
    goroutine, which releases it (the holder does not keep it while it waits)."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    for literal in nodes(body, "func_literal"):
        if any(not e.acquires and e.key == key for e in lock_events(ctx, literal, types)):
            return True
    return False


def _with_partner(
    ctx: FileContext,
    func: Node,
    op: _Op,
    held: dict[str, LockEvent],
    functions: list[Node],
    types: PackageTypes,
) -> Finding | None:
    wanted = _PARTNER[op.kind]
    for other in _partners(ctx, func, functions):
        ops = [
            o for o in _ops(ctx, other, types, partner=True) if o.kind == wanted and o.key == op.key
        ]
        if not ops:
            continue
        locks = [e for e in lock_events(ctx, other, types) if e.acquires and e.key in held]
        # The partner's first matching operation must wait for the lock: when it comes
        # first (a handshake before the partner locks), the two meet before any deadlock.
        first = min(ops, key=lambda o: o.node.start_byte)
        shared = [e.key for e in locks if _before(e.node, first.node, func)]
        if not shared:
            continue
        lock = held[shared[0]]
        mutex = ctx.text(lock.node).rsplit(".", 1)[0]
        what = {"send": "send on", "receive": "receive from", "wait": "Wait on"}[op.kind]
        target = op.key.replace("@", receiver(owner(func))[0] or "@")
        partner_name = function_name(owner(other)) or "a goroutine"
        return RULE.finding(
            ctx,
            op.node,
            f"{what} `{target}` while holding {mutex} (locked at line {line_of(lock.node)}): "
            f"the other side ({partner_name}, line {line_of(other)}) locks {mutex} too, so "
            "each can wait for the other forever",
        )
    return None


RULE = Rule(
    id="lock-held-blocking",
    title="Channel operation or WaitGroup.Wait while holding a mutex the partner needs",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds a send, a receive (outside a select) or a `WaitGroup.Wait()` made while the "
            "function holds a mutex, when the goroutine on the other side (a method of the same "
            "type, or a function literal of the same function, that receives, sends or calls "
            "`Done`) locks the same mutex."
        ),
        why=(
            "The holder waits for its partner while keeping the mutex; the partner has to take "
            "that mutex before it gets to the matching operation. Neither can proceed, and both "
            "goroutines block forever (one in `chan send`/`chan receive`/`sync.WaitGroup.Wait`, "
            "the other in `sync.(*Mutex).Lock`). Channel operations inside critical sections are "
            "the largest class of blocking bugs Tu et al. found that involve both channels and "
            "locks (moby#28462, kubernetes, etcd)."
        ),
        example="""\
func (m *Monitor) Report(s string) {
	m.mu.Lock()
	m.state = s
	m.status <- s // blocks while holding m.mu
	m.mu.Unlock()
}

func (m *Monitor) consume() {
	for {
		m.mu.Lock() // needs m.mu before the next receive
		_ = m.state
		m.mu.Unlock()
		<-m.status
	}
}
""",
        fix="""\
Release the mutex before the blocking operation (copy what you need first):
	m.mu.Lock()
	m.state = s
	m.mu.Unlock()
	m.status <- s
""",
        known_problems=(
            "Channels are matched by receiver field or local name; a channel made with a buffer "
            "(as far as the package shows) is left out, since the send then waits only when the "
            "buffer is full. The partner must take the mutex before its own operation (earlier, "
            "in the same loop, or with the operation deferred); a mutex that a goroutine of "
            "the function unlocks is handed off, not held. The partner is found among the same "
            "type's methods and the same function's literals, in the same file; a partner "
            "elsewhere is not seen. What is held follows source order."
        ),
    ),
    check=check,
)
