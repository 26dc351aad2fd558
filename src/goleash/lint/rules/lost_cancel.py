"""lost-cancel: the cancel function of a derived context discarded or not called on every path."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.resources_flow import Exit, HeldPaths, anchored
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_name,
    enclosing_function,
    enclosing_statement,
    identifiers,
    named_results,
    nodes,
)
from goleash.model import Finding

_FUNCTIONS = {
    "WithCancel",
    "WithTimeout",
    "WithDeadline",
    "WithCancelCause",
    "WithTimeoutCause",
    "WithDeadlineCause",
}


# What the left-hand side of the WithX assignment can be.
_DECLARING = ("short_var_declaration", "assignment_statement", "var_spec")


def _exit_words(exit_: Exit) -> str:
    if exit_.kind == "return":
        return f"the return at line {exit_.line}"
    if exit_.kind == "continue":
        return f"the continue at line {exit_.line}"
    if exit_.kind == "loop":
        return f"the next loop iteration (line {exit_.line})"
    return f"the end of the function (line {exit_.line})"


def _declared_locally(func: Node, ctx: FileContext, name: str, before: int) -> bool:
    """Whether ``name`` is a parameter or is declared inside ``func`` before byte ``before``."""
    params = func.child_by_field_name("parameters")
    if params is not None and any(True for _ in identifiers(params, name)):
        return True
    body = func.child_by_field_name("body")
    if body is None:
        return False
    for ident in identifiers(body, name):
        if ident.start_byte >= before:
            break
        parent = ident.parent
        if parent is not None and parent.type == "expression_list":
            parent = parent.parent
            if parent is not None and parent.type == "short_var_declaration":
                return True
        if parent is not None and parent.type in ("var_spec", "parameter_declaration"):
            return True
    return False


def _uses(func: Node, ctx: FileContext, name: str, after: int) -> tuple[bool, bool]:
    """(called anywhere, escapes): how ``name`` is used in ``func`` after byte ``after``.

    Any use other than a plain call — returned, stored, passed, compared, captured by a
    function literal that is neither started nor deferred — hands the cancel to someone else.
    """
    called = False
    for ident in identifiers(func, name):
        if ident.start_byte < after:
            continue
        parent = ident.parent
        if parent is None:
            continue
        if parent.type == "call_expression" and parent.child_by_field_name("function") == ident:
            called = True
            continue
        if parent.type == "expression_list" and parent.parent is not None:
            holder = parent.parent
            left = holder.child_by_field_name("left")
            if holder.type in _DECLARING and left is not None and left == parent:
                continue  # assigned again: not a use
        return called, True
    return called, False


def _check_call(ctx: FileContext, call: Node, fn_name: str) -> Finding | None:
    values = call.parent
    if values is None or values.type != "expression_list":
        return None  # returned, passed on, or used in an expression: it escapes
    holder = values.parent
    if holder is None or holder.type not in _DECLARING or len(values.named_children) != 1:
        return None
    names = holder.child_by_field_name("left") or holder.child_by_field_name("name")
    targets = (
        [c for c in holder.children_by_field_name("name")] if holder.type == "var_spec" else []
    )
    if names is not None and names.type == "expression_list":
        targets = list(names.named_children)
    if len(targets) != 2:
        return None
    target = targets[1]
    what = f"context.{fn_name}"
    if target.type != "identifier":
        return None  # stored in a field, map or slice element: its owner cancels it
    name = ctx.text(target)
    if name == "_":
        return RULE.finding(
            ctx,
            call,
            f"the cancel function returned by {what} is discarded: the context and its "
            "resources are kept until the parent context ends",
        )
    func = enclosing_function(call)
    if func is None:
        return None  # package level: lives as long as the program
    if name in named_results(func):
        return None  # handed to the caller
    if holder.type == "assignment_statement" and not _declared_locally(
        func, ctx, name, holder.start_byte
    ):
        return None  # a variable of an outer scope or the package: someone else calls it
    called, escapes = _uses(func, ctx, name, holder.end_byte)
    if escapes:
        return None
    if not called:
        return RULE.finding(
            ctx,
            call,
            f"the cancel function `{name}` returned by {what} is never called: "
            "the context leaks until its parent ends",
        )
    stmt = enclosing_statement(call)
    if stmt is None:
        return None

    def releases(node: Node) -> bool:
        for ident in identifiers(node, name):
            parent = ident.parent
            if (
                parent is not None
                and parent.type == "call_expression"
                and parent.child_by_field_name("function") == ident
            ):
                return True
        return False

    exits = HeldPaths(ctx, releases).leaks_after(stmt)
    if exits and _split_between_tests(ctx, stmt, name):
        return None
    if not exits:
        return None
    first = exits[0]
    return RULE.finding(
        ctx,
        call,
        f"the cancel function `{name}` returned by {what} is not called on "
        f"{_exit_words(first)}: the context leaks on that path (add `defer {name}()`)",
    )


def _split_between_tests(ctx: FileContext, stmt: Node, name: str) -> bool:
    """``if i%2 == 0 { cancel() }`` … ``if i%2 == 1 { cancel() }``: the cancel is called under
    two or more tests in the same block, which the code means to cover every case between them
    (this rule cannot compare conditions, and a single guarded cancel is still reported)."""
    block = stmt.parent
    if block is None:
        return False
    guarded = 0
    for sibling in block.named_children:
        if sibling.type != "if_statement" or sibling.start_byte < stmt.end_byte:
            continue
        consequence = sibling.child_by_field_name("consequence")
        if consequence is not None and any(
            call_name(c) == name for c in nodes(consequence, "call_expression")
        ):
            guarded += 1
    return guarded >= 2


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report WithCancel/WithTimeout/WithDeadline(/Cause) cancels that can be lost."""
    if b".With" not in ctx.source:
        return
    context_names = ctx.imports("context")
    if not context_names or not any(f"{n}.With".encode() in ctx.source for n in context_names):
        return
    calls: list[Node] = []
    for name in context_names:
        for kind in (b"Cancel", b"Timeout", b"Deadline"):
            calls += anchored(ctx, name.encode() + b".With" + kind, "call_expression")
    for call in sorted(calls, key=lambda c: c.start_byte):
        selector = call.child_by_field_name("function")
        if selector is None or selector.type != "selector_expression":
            continue
        pkg = selector.child_by_field_name("operand")
        fn = selector.child_by_field_name("field")
        if pkg is None or fn is None or ctx.text(pkg) not in context_names:
            continue
        if ctx.text(fn) not in _FUNCTIONS:
            continue
        finding = _check_call(ctx, call, ctx.text(fn))
        if finding is not None:
            yield finding


RULE = Rule(
    id="lost-cancel",
    title="Cancel function of a derived context not called on every path",
    severity="error",
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `context.WithCancel`, `WithTimeout`, `WithDeadline` and their `Cause` variants "
            "whose cancel function is discarded, never called, or skipped by some return path."
        ),
        why=(
            "Until cancel is called, the derived context stays registered with its parent and a "
            "WithTimeout/WithDeadline context keeps its timer. Any goroutine waiting on "
            "`ctx.Done()` waits until the parent ends — for a request-scoped parent that is a "
            "slow leak, for `context.Background()` it is forever."
        ),
        example="""\
func fetch(parent context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(parent, 5*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err // cancel is never called on this path
	}
	defer cancel()
	return get(req)
}
""",
        fix="""\
Call `defer cancel()` right after creating the context:
	ctx, cancel := context.WithTimeout(parent, 5*time.Second)
	defer cancel()
""",
        known_problems=(
            "A cancel that escapes — returned, stored in a field, slice, map or package "
            "variable, passed to a function, or captured by a goroutine or deferred closure — is "
            "taken as handled by its new owner, so a leak behind such a hand-off is not reported. "
            "Calls that never return are recognised by name (panic, os.Exit, log.Fatal*, "
            "t.FailNow…) and, when the package index is available, same-package functions that "
            "never return. Paths through `goto` are not followed."
        ),
    ),
    check=check,
)
