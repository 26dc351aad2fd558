"""range-never-closed: `for v := range ch` over a local channel that nothing closes."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import local_channels, once
from goleash.lint.flow import enclosing_loop, exits_loop
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import line_of, program_lifetime
from goleash.model import Finding


def check(ctx: FileContext) -> Iterator[Finding]:
    """Ranges over channels made here that are never closed and never leave the function."""
    seen: set[int] = set()  # a worker started from two places is reported once
    for chan in local_channels(ctx):
        if chan.escapes or chan.of_kind("close") or program_lifetime(chan.func):
            continue
        for use in once(chan.of_kind("range"), seen):
            loop = use.node if use.node.type == "for_statement" else enclosing_loop(use.node)
            body = loop.child_by_field_name("body") if loop is not None else None
            if body is not None and exits_loop(body, loop, ctx.package) is not None:
                continue  # the loop leaves on a value it waits for (`if v == want { return }`)
            yield RULE.finding(
                ctx,
                use.node,
                f"this range over `{chan.name}` never ends: nothing closes the channel made at "
                f"line {line_of(chan.make)}, so the loop waits forever after the last value",
            )


RULE = Rule(
    id="range-never-closed",
    title="Range over a channel that is never closed",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds `for v := range ch` where `ch` is made in the same function and no path "
            "closes it: no `close(ch)` in the function or its closures, and the channel is not "
            "passed to another function, returned or stored."
        ),
        why=(
            "A range over a channel only ends when the channel is closed. When the producers "
            "finish without closing it, the ranging goroutine (or the function itself) blocks "
            "in `chan receive` forever."
        ),
        example="""\
func collect(jobs []Job) []Result {
    results := make(chan Result)
    var wg sync.WaitGroup
    for _, j := range jobs {
        wg.Add(1)
        go func() { defer wg.Done(); results <- j.Run() }()
    }
    var out []Result
    for r := range results { // never ends: results is never closed
        out = append(out, r)
    }
    return out
}""",
        fix="""\
Close the channel once every producer is done:
    go func() { wg.Wait(); close(results) }()
    for r := range results {
        out = append(out, r)
    }""",
        known_problems=(
            "A channel handed to any other function is assumed to be closed there. Channels "
            "kept in struct fields are not followed. A loop that can leave on its own (a "
            "`return` or `break` once the value it waits for arrives) is not reported."
        ),
    ),
    check=check,
)
