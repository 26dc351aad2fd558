"""Which channel a blocked goroutine waits on, and whether it sends or receives, read from the
line it blocks at: the only evidence a stateless dump (debug=1, protobuf) gives.

The lines come from a realistic Go file (fan-out workers, a select loop, a ticker loop, channel
types in signatures) so that the reading is checked on code as people write it.
"""

from __future__ import annotations

import pytest

from goleash.analysis.explain_objects import (
    ChannelOp,
    channel_ops,
    receives_from,
    sends_on,
    waited_on,
)
from goleash.analysis.explain_source import GoSource

FETCH = """\
package fetch

import (
	"context"
	"fmt"
	"time"
)

func lookup(q string) string { return q }

func FetchAll(ctx context.Context, qs []string, results chan<- string, errs <-chan error) {
	for _, q := range qs {
		go func(q string) {
			results <- lookup(q)
		}(q)
	}
	v := <-results2
	select {
	case out[len(qs)-1] <- fmt.Sprintf("got <- %s", v):
	case r, ok := <-s.in:
		_, _ = r, ok
	case <-ctx.Done():
		return
	}
	<-ctx.Done()
	t := time.NewTicker(time.Second)
	for {
		<-t.C // tick <- tock
	}
	pipe <- <-upstream
	for item := range work {
		_ = item
	}
}
"""


@pytest.fixture(scope="module")
def fetch(tmp_path_factory: pytest.TempPathFactory) -> GoSource:
    path = tmp_path_factory.mktemp("fetch") / "fetch.go"
    path.write_text(FETCH)
    src = GoSource.read(path)
    assert src is not None
    return src


def _line(src: GoSource, fragment: str) -> int:
    return next(n for n in range(1, src.line_count + 1) if fragment in src.line_text(n))


@pytest.mark.parametrize(
    ("text", "ops"),
    [
        ("\tresults <- lookup(q)", [ChannelOp(True, "results")]),
        ("\tcase results <- lookup(q):", [ChannelOp(True, "results")]),
        ("go func() { results <- lookup(q) }()", [ChannelOp(True, "results")]),
        ('\ts.out[i] <- fmt.Sprintf("a <- b", x)', [ChannelOp(True, "s.out[i]")]),
        ("\tv := <-ch", [ChannelOp(False, "ch")]),
        ("\tcase v, ok := <-s.in:", [ChannelOp(False, "s.in")]),
        ("\tcase <-ctx.Done():", [ChannelOp(False, "ctx.Done()")]),
        ("\tcase <-time.After(2 * d):", [ChannelOp(False, "time.After(2 * d)")]),
        ("\treturn <-done", [ChannelOp(False, "done")]),
        ("\tif err := <-errc; err != nil {", [ChannelOp(False, "errc")]),
        ("\tx := f(<-ch, 2) // a <- b in a comment", [ChannelOp(False, "ch")]),
        ("\tpipe <- <-upstream", [ChannelOp(True, "pipe"), ChannelOp(False, "upstream")]),
        ("func run(in <-chan int, out chan<- int) {", []),
        ("\tch := make(chan<- int, 1)", []),
        ("\tif a < -b {", []),
    ],
)
def test_channel_operations_on_a_line(text: str, ops: list[ChannelOp]) -> None:
    assert channel_ops(text) == ops


def test_stateless_send_whose_value_is_a_call_is_a_send(fetch: GoSource) -> None:
    # The bug: `results <- lookup(q)` read as a receive from `lookup(q`.
    waited = waited_on("other", fetch, _line(fetch, "results <- lookup(q)"))
    assert waited is not None and waited.sending and waited.expr == "results"
    assert waited.noun == "channel `results`"


@pytest.mark.parametrize(
    ("fragment", "what", "expr", "sending"),
    [
        ("v := <-results2", "channel", "results2", False),
        ("\t<-ctx.Done()", "channel", "ctx.Done()", False),
        ("<-t.C", "ticker", "t", False),
        ("pipe <- <-upstream", "channel", "upstream", False),  # the receive happens first
        ("range work", "channel", "work", False),
    ],
)
def test_stateless_receives(
    fetch: GoSource, fragment: str, what: str, expr: str, sending: bool
) -> None:
    waited = waited_on("other", fetch, _line(fetch, fragment))
    assert waited is not None
    assert (waited.what, waited.expr, waited.sending) == (what, expr, sending)


def test_stack_state_decides_when_the_dump_has_one(fetch: GoSource) -> None:
    line = _line(fetch, "pipe <- <-upstream")
    send = waited_on("chan-send", fetch, line)
    receive = waited_on("chan-receive", fetch, line)
    assert send is not None and (send.expr, send.sending) == ("pipe", True)
    assert receive is not None and (receive.expr, receive.sending) == ("upstream", False)


def test_select_in_a_stateless_dump_lists_its_cases(fetch: GoSource) -> None:
    waited = waited_on("other", fetch, _line(fetch, "\tselect {"))
    assert waited is not None and waited.what == "select"
    assert "<-ctx.Done()" in waited.cases


def test_peers_match_by_channel_name() -> None:
    assert sends_on("\t\tresults <- lookup(q)", "results")
    assert sends_on("\tcase w.results <- r:", "results")
    assert not sends_on("\tv := <-results", "results")
    assert not sends_on("func f(results chan<- string) {", "results")
    assert receives_from("\tfor r := range results {", "results")
    assert receives_from("\tcase r := <-p.results:", "results")
    assert not receives_from("\tresults <- lookup(q)", "results")
    assert not receives_from("\tx := <-other", "results")
