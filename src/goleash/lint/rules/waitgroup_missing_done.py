"""waitgroup-missing-done: a counted goroutine with a path that never calls ``wg.Done()``."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.flow import inside_loop
from goleash.lint.resources_flow import Exit, HeldPaths, waitgroup_names, waitgroup_of
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_name,
    call_of_go,
    called_declarations,
    captures,
    declarations,
    declarations_by_name,
    enclosing_function,
    identifiers,
    nodes,
    parameter_names,
)
from goleash.model import Finding

_QUERY = """
(go_statement) @go
(function_declaration) @decl
(method_declaration) @decl
"""


def _counted_receivers(ctx: FileContext, func: Node, names: set[str]) -> set[str]:
    """WaitGroups that ``func`` both adds to and waits on.

    The Wait may sit in a closure of ``func``: ``go func() { wg.Wait(); close(done) }()`` is the
    usual way to wait with a timeout. The Add must be ``func``'s own.
    """
    adds: set[str] = set()
    waits: set[str] = set()
    for call in nodes(func, "call_expression"):
        name = call_name(call)
        receiver, _, method = name.rpartition(".")
        if method == "Wait" and waitgroup_of(receiver, names):
            waits.add(receiver)
        elif method == "Add" and enclosing_function(call) == func and waitgroup_of(receiver, names):
            adds.add(receiver)
    return adds & waits


def _missing_done(ctx: FileContext, body: Node, wg: str) -> list[Exit] | None:
    """Exits of a goroutine body without ``wg.Done()``; None when the body does not count on wg."""
    done = f"{wg}.Done"
    mentions = False
    handed = False
    for call in nodes(body, "call_expression"):
        if call_name(call) == done:
            if inside_loop(call, body):
                return None  # Done per work item, not per goroutine: counts items
            mentions = True
            continue
        if call_name(call) == f"{wg}.Add":
            return None  # counts itself: waitgroup-add-in-goroutine's finding
        arguments = call.child_by_field_name("arguments")
        if arguments is not None and any(
            ctx.text(a).lstrip("&") == wg for a in arguments.named_children
        ):
            handed = True
    if not mentions:
        return None  # does not count itself down here: a waiter, or handed to a helper
    if handed:
        return None
    for defer in nodes(body, "defer_statement"):
        if any(call_name(c) == done for c in nodes(defer, "call_expression")):
            return None  # deferred, even under a nil check: runs on every way out after it

    def releases(node: Node) -> bool:
        return any(call_name(c) == done for c in nodes(node, "call_expression"))

    return HeldPaths(ctx, releases).leaks_in(body)


def _where(exit_: Exit) -> str:
    if exit_.kind == "end":
        return f"when it ends (line {exit_.line})"
    return f"at the return on line {exit_.line}"


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report goroutines counted by a WaitGroup that can finish without calling Done."""
    if b".Wait()" not in ctx.source or b".Done()" not in ctx.source:
        return
    root = ctx.tree.root_node
    if root.has_error:  # error recovery may put a declaration anywhere: the query finds it
        found = captures(_QUERY, root)
        starts, declared = found.get("go", []), found.get("decl", [])
    else:
        starts, declared = ctx.go_statements(), declarations(root)
    if not starts:
        return
    names = waitgroup_names(ctx)
    decls = declarations_by_name(declared)
    for go in starts:
        func = enclosing_function(go)
        if func is None:
            continue
        receivers = _counted_receivers(ctx, func, names)
        if not receivers:
            continue
        call = call_of_go(go)
        target = call.child_by_field_name("function") if call is not None else None
        if call is None or target is None:
            continue
        for wg in sorted(receivers):
            finding = _check_start(ctx, go, call, target, wg, decls)
            if finding is not None:
                yield finding
                break


def _check_start(
    ctx: FileContext, go: Node, call: Node, target: Node, wg: str, decls: dict[str, list[Node]]
) -> Finding | None:
    if target.type == "func_literal":
        body = target.child_by_field_name("body")
        exits = _missing_done(ctx, body, wg) if body is not None else None
        if exits:
            return RULE.finding(
                ctx,
                go,
                f"this goroutine is counted by {wg} but does not call {wg}.Done() "
                f"{_where(exits[0])}: {wg}.Wait() blocks forever (use `defer {wg}.Done()`)",
            )
        return None
    field = target.child_by_field_name("field") if target.type == "selector_expression" else None
    name = ctx.text(field if field is not None else target)
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return None
    index = next(
        (i for i, a in enumerate(arguments.named_children) if ctx.text(a).lstrip("&") == wg), -1
    )
    candidates = called_declarations(target, decls)
    if index < 0 or len(candidates) != 1:
        return None  # not handed the WaitGroup, or declared elsewhere: not judged here
    params = parameter_names(candidates[0])
    body = candidates[0].child_by_field_name("body")
    if index >= len(params) or body is None:
        return None
    param = params[index]
    exits = _missing_done(ctx, body, param)
    if exits is None:
        if any(True for _ in identifiers(body, param)):
            return None  # used some other way (handed on): not judged here
        return RULE.finding(
            ctx,
            go,
            f"{name} is started with {wg} but never calls {param}.Done(): "
            f"{wg}.Wait() blocks forever",
        )
    if exits:
        return RULE.finding(
            ctx,
            go,
            f"{name} is counted by {wg} but does not call {param}.Done() {_where(exits[0])}: "
            f"{wg}.Wait() blocks forever (use `defer {param}.Done()`)",
        )
    return None


RULE = Rule(
    id="waitgroup-missing-done",
    title="Goroutine counted by a WaitGroup can finish without Done",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds goroutines started by a function that calls `wg.Add` and `wg.Wait()`, whose "
            "body (a literal, or a function of the same file that receives the WaitGroup) has a "
            "path that returns without `wg.Done()`."
        ),
        why=(
            "Every Add must be matched by a Done. An early return that skips Done leaves the "
            "counter above zero: `wg.Wait()` blocks forever, and so does the goroutine waiting "
            "on it and everything behind that — typically a request handler."
        ),
        example="""\
for _, u := range urls {
	wg.Add(1)
	go func() {
		body, err := fetch(u)
		if err != nil {
			return // wg.Done() is skipped: wg.Wait() never returns
		}
		results <- body
		wg.Done()
	}()
}
wg.Wait()
""",
        fix="""\
Call Done with defer as the goroutine's first statement:
	go func() {
		defer wg.Done()
		...
	}()
""",
        known_problems=(
            "Only functions declared in the same file are followed; a goroutine that hands the "
            "WaitGroup to another function is taken as handled. A WaitGroup is recognised by "
            "its declared type or a name like `wg`. Go 1.25's `wg.Go(f)` needs no Done."
        ),
    ),
    check=check,
)
