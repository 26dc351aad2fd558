"""waitgroup-wait-in-loop: ``wg.Wait()`` inside the loop that starts the goroutines it waits for,
with the count added before the loop."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.flow import enclosing_loop
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, call_name, go_call_literal, line_of, nodes
from goleash.model import Finding


def _calls(node: Node, name: str) -> list[Node]:
    return [c for c in nodes(node, "call_expression") if call_name(c) == name]


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report Wait calls in a loop whose iterations start the counted goroutines one by one,
    when the Add that counts them all ran before the loop."""
    if b".Wait()" not in ctx.source or b".Add(" not in ctx.source:
        return
    for go in ctx.go_statements():
        literal = go_call_literal(go)
        loop = enclosing_loop(go)
        if literal is None or loop is None:
            continue
        body = loop.child_by_field_name("body")
        if body is None:
            continue
        for done in nodes(literal, "call_expression"):
            name = call_name(done)
            if not name.endswith(".Done"):
                continue
            group = name[: -len(".Done")]
            waits = [w for w in _calls(body, f"{group}.Wait") if w.start_byte > go.end_byte]
            if not waits or _calls(body, f"{group}.Add"):
                continue
            adds = [
                a
                for a in _calls(loop.parent or loop, f"{group}.Add")
                if a.end_byte < loop.start_byte
            ]
            if not adds or enclosing_loop(waits[0]) != loop:
                continue
            yield RULE.finding(
                ctx,
                waits[0],
                f"`{group}.Wait()` runs inside the loop that starts the goroutines, but "
                f"{group}.Add at line {line_of(adds[-1])} counted them all before the loop: the "
                "first iteration waits for goroutines not started yet, forever",
            )
            break


RULE = Rule(
    id="waitgroup-wait-in-loop",
    title="WaitGroup.Wait inside the loop that starts the goroutines",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds `wg.Wait()` in the body of a loop whose iterations start goroutines that "
            "call `wg.Done()`, when `wg.Add` is called before the loop (for all of them) and "
            "not in it."
        ),
        why=(
            "The Add before the loop counts every goroutine the loop will start; the Wait in "
            "the first iteration then waits for all of them while only one has been started, "
            "and the loop never gets to start the others. The function blocks forever in "
            "`sync.WaitGroup.Wait` (moby#25384, Docker's plugin activation)."
        ),
        example="""\
var wg sync.WaitGroup
wg.Add(len(plugins))
for _, p := range plugins {
	go func() {
		defer wg.Done()
		activate(p)
	}()
	wg.Wait() // waits for len(plugins) goroutines; one is started
}
""",
        fix="""\
Wait after the loop, once every goroutine is started:
	for _, p := range plugins {
		go func() { defer wg.Done(); activate(p) }()
	}
	wg.Wait()
""",
        known_problems=(
            "Only goroutines started as function literals that call `Done` directly are "
            "followed. A loop that runs exactly once is reported too."
        ),
    ),
    check=check,
)
