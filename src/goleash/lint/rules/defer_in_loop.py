"""defer-in-loop: a deferred release inside a loop runs only when the function returns."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goleash.lint.flow import enclosing_loop
from goleash.lint.resources_flow import anchored
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_name,
    identifier_names,
    nodes,
    statements,
    unwrap_parens,
    walk,
)
from goleash.model import Finding

# Method names that release something: the defers worth reporting.
_RELEASES = {"Close", "Unlock", "RUnlock", "Stop", "Done", "Release", "Rollback", "Cancel"}
_RELEASE_FUNCS = ("cancel", "stop", "release", "close", "unlock", "done")


def _releasing(defer: Node) -> str:
    """What the defer releases, as written (``f.Close``), or '' when it releases nothing known."""
    for call in nodes(defer, "call_expression"):
        name = call_name(call)
        last = name.rsplit(".", 1)[-1]
        if name == "close":
            continue  # the builtin closing a channel: a signal, not a held resource
        if last in _RELEASES or ("." not in name and name.lower().startswith(_RELEASE_FUNCS)):
            return name
    return ""


_BREAK_TARGETS = ("expression_switch_statement", "type_switch_statement", "select_statement")


def _last_iteration(defer: Node, loop: Node) -> bool:
    """Whether the iteration that runs the defer never goes round again.

    True when a `return`, or a `break` of this loop, follows the defer in its block or in an
    enclosing block of the loop body with no `continue` in between
    (``if last { mu.Lock(); defer mu.Unlock(); … }; return``).
    """
    node = defer
    while node is not None and node != loop:
        parent = node.parent
        if parent is not None and parent.type == "statement_list":
            after = parent.named_children[parent.named_children.index(node) + 1 :]
            for stmt in after:
                if stmt.type == "return_statement":
                    return True
                if stmt.type == "break_statement" and _breaks_loop(stmt, loop):
                    return True
                if nodes(stmt, "continue_statement"):
                    return False  # the loop may go round before the return
        node = parent
    return False


def _breaks_loop(stmt: Node, loop: Node) -> bool:
    """A bare `break` that leaves ``loop`` (not a switch or select inside it)."""
    if stmt.named_child_count:  # a labelled break: leaves some loop, maybe an outer one
        return True
    node = stmt.parent
    while node is not None and node != loop:
        if node.type in _BREAK_TARGETS:
            return False
        node = node.parent
    return True


_ERROR_TEST = re.compile(r"[\w.]*(err|Err)\w*\s*(!=|==)\s*nil")


def _error_cleanup(ctx: FileContext, defer: Node) -> bool:
    """`defer func() { if err != nil { l.Close() } }()`: a release only on failure.

    On success the resource outlives the function on purpose (returned, stored); the defers
    pile up per iteration only to undo every acquisition if a later step fails (etcd's
    configurePeerListeners). Also the guard form `if err == nil { return }` first.
    """
    call = next((c for c in defer.named_children if c.type == "call_expression"), None)
    literal = call.child_by_field_name("function") if call is not None else None
    if literal is None or literal.type != "func_literal":
        return False
    body = statements(literal.child_by_field_name("body"))
    if not body or body[0].type != "if_statement":
        return False
    first = body[0]
    condition = first.child_by_field_name("condition")
    if first.child_by_field_name("initializer") is not None:
        return False  # `if err := l.Close(); …`: the release runs whatever the test says
    if condition is None:
        return False
    if not _ERROR_TEST.fullmatch(ctx.text(condition)):
        # `if !ok { f.Close() }`, `if !committed { tx.Rollback() }`: a flag the function sets
        # once it succeeded; the release is failure cleanup. A nil test of the resource itself
        # (`if f != nil`) is not a flag: that defer runs on every path.
        released = _releasing(defer)
        resource = _resource(released) or released.rsplit(".", 1)[0]
        flag = unwrap_parens(condition)
        is_flag = flag.type == "identifier" or (
            flag.type == "unary_expression" and ctx.text(flag).startswith("!")
        )
        return (
            len(body) == 1
            and first.child_by_field_name("alternative") is None
            and is_flag
            and resource not in identifier_names(condition)
        )
    if len(body) == 1 and first.child_by_field_name("alternative") is None:
        return "!=" in ctx.text(condition)  # `if err != nil { release }`
    guard = statements(first.child_by_field_name("consequence"))
    return "==" in ctx.text(condition) and [s.type for s in guard] == ["return_statement"]


def _resource(released: str) -> str:
    """The variable a release belongs to: ``f`` for ``f.Close``, ``resp`` for
    ``resp.Body.Close``; '' for anything else (a lock in a field, a bare ``cancel``)."""
    receiver = released.rsplit(".", 1)[0] if "." in released else ""
    if receiver.endswith(".Body"):
        receiver = receiver[: -len(".Body")]
    return receiver if receiver.isidentifier() else ""


def _holds(node: Node, name: str) -> bool:
    """Whether a value keeps ``name`` itself: ``f``, ``&f``, ``item{file: f}`` (not
    ``f.Name()`` or ``size(f)``, which only read from it)."""
    node = unwrap_parens(node)
    if node.type == "identifier":
        return bool(node.text == name.encode())
    if node.type == "unary_expression":
        operand = node.child_by_field_name("operand")
        return operand is not None and _holds(operand, name)
    if node.type in ("composite_literal", "literal_value", "keyed_element", "literal_element"):
        if node.type == "composite_literal":
            body = node.child_by_field_name("body")
            return body is not None and _holds(body, name)
        if node.type == "keyed_element":
            value = node.child_by_field_name("value")
            return value is not None and _holds(value, name)
        return any(_holds(c, name) for c in node.named_children)
    return False


def _kept_for_later(loop: Node, name: str) -> bool:
    """``_stored(loop, name)`` for the resource or for a value built on it in the loop
    (``mux := NewMux(Params{Conn: conn})`` then ``muxes = append(muxes, mux)``)."""
    if _stored(loop, name):
        return True
    return any(_stored(loop, derived) for derived in _derived(loop, name))


def _derived(loop: Node, name: str) -> set[str]:
    """Names bound in the loop to a call that takes the resource (one step)."""
    body = loop.child_by_field_name("body")
    found: set[str] = set()
    if body is None or not name:
        return found
    for stmt in walk(body):
        if stmt.type != "short_var_declaration":
            continue
        left = stmt.child_by_field_name("left")
        right = stmt.child_by_field_name("right")
        if left is None or right is None:
            continue
        targets = left.named_children
        for target, value in zip(targets, right.named_children, strict=False):
            if target.type == "identifier" and _wraps(value, name):
                found.add(target.text.decode("utf-8", "replace"))
    found.discard(name)
    return found


def _stored_element(ctx: FileContext, loop: Node, released: str) -> bool:
    """``h[i] = server.NewHash(); defer h[i].Close()``: the resource lives in an element or
    field of something made before the loop, which keeps them all for later use."""
    receiver = released.rsplit(".", 1)[0] if "." in released else ""
    if not receiver or receiver.isidentifier():
        return False
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for stmt in walk(body):
        if stmt.type == "assignment_statement":
            left = stmt.child_by_field_name("left")
            if left is not None and any(ctx.text(t) == receiver for t in left.named_children):
                return True
    return False


def _only_schedules(loop: Node, defer: Node) -> bool:
    """``for _, c := range closers { defer c.Close() }``: the loop acquires nothing; it only
    schedules the release of resources that exist already and are used until the function
    returns (after a handler runs, at the end of a test)."""
    body = loop.child_by_field_name("body")
    return body is not None and [s for s in statements(body)] == [defer]


def _stored(loop: Node, name: str) -> bool:
    """Whether the loop stores the resource where code after the iteration reads it.

    `files = append(files, f)` (then `io.MultiReader(files...)`), `*v.field = f`,
    `s.conns[i] = c`: the loop gathers resources that must all stay open until the function
    is done with them, so closing them when it returns is the point (x/tools godoc's index
    reader, file2fuzz's inputs, aws-sdk-go's custom CA bundle files).
    """
    body = loop.child_by_field_name("body")
    if body is None or not name:
        return False
    for stmt in walk(body):
        if stmt.type != "assignment_statement":
            continue
        left = stmt.child_by_field_name("left")
        right = stmt.child_by_field_name("right")
        if left is None or right is None:
            continue
        for value in right.named_children:
            value = unwrap_parens(value)
            if _holds(value, name) and value.type == "identifier":
                targets = [unwrap_parens(t) for t in left.named_children]
                if any(t.type != "identifier" for t in targets):
                    return True  # stored into a field, element or pointee
            elif value.type == "call_expression" and call_name(value) == "append":
                args = value.child_by_field_name("arguments")
                extra = args.named_children[1:] if args is not None else []
                if any(_holds(a, name) or _wraps(a, name) for a in extra):
                    return True
            elif _wraps(value, name) and stmt.type == "assignment_statement":
                # `dec = json.NewDecoder(f)` into a variable of the function: a reader built
                # on the resource and used after the iteration.
                return True
    return False


def _wraps(value: Node, name: str) -> bool:
    """A call that takes the resource as an argument: ``bufio.NewReader(f)``."""
    value = unwrap_parens(value)
    if value.type != "call_expression":
        return False
    args = value.child_by_field_name("arguments")
    return args is not None and any(_holds(a, name) for a in args.named_children)


def _released_each_iteration(loop: Node, defer: Node, released: str) -> bool:
    """The same release also runs, not deferred, later in the iteration (``w.Close()`` checked
    for its error): the defer only covers the early exits in between."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for call in nodes(body, "call_expression"):
        if call.start_byte > defer.end_byte and call_name(call) == released:
            return True
    return False


def _previous_generation(ctx: FileContext, loop: Node, resource: str) -> bool:
    """``old := s.conn; s.conn = fresh; defer old.Close()``: the loop swaps a resource in and
    closes the one it replaced when the function is done (on purpose, after a swap)."""
    body = loop.child_by_field_name("body")
    if body is None or not resource:
        return False
    sources: set[str] = set()
    assigned: set[str] = set()
    for stmt in walk(body):
        if stmt.type not in ("short_var_declaration", "assignment_statement"):
            continue
        left = stmt.child_by_field_name("left")
        right = stmt.child_by_field_name("right")
        if left is None or right is None:
            continue
        targets = [ctx.text(t) for t in left.named_children]
        values = [unwrap_parens(v) for v in right.named_children]
        for target, value in zip(targets, values, strict=False):
            if target == resource and value.type == "selector_expression":
                sources.add(ctx.text(value))
        assigned.update(targets)
    return bool(sources & assigned)


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report defers of releases directly inside a loop body."""
    if b"defer" not in ctx.source:
        return
    for defer in anchored(ctx, b"defer", "defer_statement", climb=1):
        loop = enclosing_loop(defer)
        if loop is None or _last_iteration(defer, loop):
            continue
        released = _releasing(defer)
        if not released or _error_cleanup(ctx, defer):
            continue
        resource = _resource(released)
        if _kept_for_later(loop, resource) or _stored_element(ctx, loop, released):
            continue
        if _only_schedules(loop, defer):
            continue
        if _released_each_iteration(loop, defer, released) or _previous_generation(
            ctx, loop, resource
        ):
            continue
        yield RULE.finding(
            ctx,
            defer,
            f"`defer {released}()` in a loop runs only when the function returns: every "
            "iteration's resource is held until then (wrap the body in a function, or release "
            "at the end of the iteration)",
            severity="info" if ctx.is_test else "",
        )


RULE = Rule(
    id="defer-in-loop",
    title="Deferred release inside a loop",
    severity="warning",
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `defer x.Close()` / `Unlock()` / `Stop()` / `cancel()` / `Done()` directly in "
            "a `for` body (not inside a function literal in the loop)."
        ),
        why=(
            "Deferred calls run when the surrounding function returns, not at the end of the "
            "iteration. A loop over files, rows, locks or contexts holds every one of them until "
            "the loop and the function finish — descriptors run out, a lock is taken twice "
            "(deadlock), contexts and their timers pile up. In an endless loop they are never "
            "released."
        ),
        example="""\
for _, name := range files {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close() // every file stays open until the function returns
	process(f)
}
""",
        fix="""\
Wrap the iteration in a function so the defer runs per iteration:
	for _, name := range files {
		if err := func() error {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			return process(f)
		}(); err != nil {
			return err
		}
	}
""",
        known_problems=(
            "Only defers that release something recognisable by name are reported (Close, "
            "Unlock, Stop, Done, Release, Rollback, cancel…). A loop that runs once or a "
            "handful of times is reported too. In _test.go files the finding is info. A "
            "deferred closure that releases only when an error variable is set (`if err != "
            "nil { l.Close() }`, or `if err == nil { return }` first) is an undo-on-failure "
            "and is not reported. Nor is the defer when the loop also stores the resource for "
            "later (`files = append(files, f)`, `*field = f`, `s.conns[i] = c`, or a reader "
            "built on it: `dec = json.NewDecoder(f)`): the loop gathers resources that must "
            "stay open until the function has used them all. Also accepted: a closure guarded "
            "by a flag (`if !ok { f.Close() }`), a defer whose release also runs explicitly "
            "later in the iteration (it only covers early exits), and closing the resource a "
            "swap replaced (`old := s.conn; s.conn = c; defer old.Close()`)."
        ),
    ),
    check=check,
)
