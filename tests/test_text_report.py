"""The text report of a big dump prints as its lines would print one by one.

report.text prints its markup lines several per console.print call (one call per line cost
20 s for ten thousand groups), and to a console that prints no style (a pipe, a file) it writes
the text without the tags itself: no style may run from one line into the next, and the text
must be rich's to the byte. Every source file is looked up once per report.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.errors import MarkupError

from dumpgen import generate
from goleash.analysis.ignore import default_packs
from goleash.analysis.suspects import assess
from goleash.dumps import traceback
from goleash.report import text


def _console(**options: object) -> Console:
    return Console(file=io.StringIO(), width=100, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"force_terminal": True, "color_system": "truecolor"},
        {"force_terminal": False, "color_system": None},
    ],
    ids=["colour", "plain"],
)
def test_a_report_of_many_groups_prints_as_line_by_line(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, object]
) -> None:
    snapshot = traceback.parse(io.BytesIO(generate(3000, 400, seed=4)))[0]
    shown = assess(snapshot, default_packs())
    printed: list[list[str]] = []
    batched = _console(**options)
    real_print = text.print_markup
    monkeypatch.setattr(
        text, "print_markup", lambda c, lines: (printed.append(list(lines)), real_print(c, lines))
    )
    text.render(batched, snapshot, shown, text.TextOptions())
    (lines,) = printed
    assert len(lines) > 2 * text._BATCH  # several batches
    one_by_one = _console(**options)
    for line in lines:
        one_by_one.print(line, highlight=False, emoji=False, soft_wrap=True)
    assert batched.file.getvalue() == one_by_one.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[" in batched.file.getvalue() or not options["force_terminal"]  # type: ignore[attr-defined]


def test_each_source_file_is_looked_up_once_per_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from goleash.report import sourcelines

    (tmp_path / "a.go").write_text("package main\n\nfunc f() {\n\tselect {}\n}\n")
    dump = b"".join(
        b"goroutine %d [select (no cases)]:\nmain.f%d()\n\t/elsewhere/a.go:4 +0x1d\n\n" % (i, i)
        for i in range(1, 40)
    )
    snapshot = traceback.parse(io.BytesIO(dump))[0]
    lookups: list[str] = []
    real_locate = sourcelines.locate
    monkeypatch.setattr(
        sourcelines, "locate", lambda f, roots: (lookups.append(f), real_locate(f, roots))[1]
    )
    console = _console(force_terminal=False, color_system=None)
    opts = text.TextOptions(source_roots=(tmp_path,))
    text.render(console, snapshot, assess(snapshot, default_packs()), opts)
    assert lookups == ["/elsewhere/a.go"]
    assert console.file.getvalue().count("select {}") == len(snapshot.groups)  # type: ignore[attr-defined]


_MARKUP = st.lists(
    st.sampled_from(
        [
            "[dim]", "[/]", "[bold red]", "[cyan]", "[/cyan]", "[", "]", "\\", "\\[", "\\\\",
            "a", " ", "·", "[x", "[/dim]", "=", "[#fff]", "[@click]", "\n", "\r", "\x07",
        ]
    )
    | st.text(max_size=3).map(text.literal),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(_MARKUP)
def test_markup_reads_as_rich_prints_it_without_styles(markup: str) -> None:
    console = _console(force_terminal=False, color_system=None)
    try:
        console.print(markup, highlight=False, emoji=False, soft_wrap=True)
    except MarkupError:
        return  # a closing tag with no opening one: the reports never write that
    assert text.plain(markup) + "\n" == console.file.getvalue()  # type: ignore[attr-defined]


def test_a_report_to_a_pipe_is_the_text_rich_would_print(monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = traceback.parse(io.BytesIO(generate(1000, 200, seed=6)))[0]
    shown = assess(snapshot, default_packs())
    fast = _console(force_terminal=False, color_system=None)
    text.render(fast, snapshot, shown, text.TextOptions())
    through_rich = _console(force_terminal=False, color_system=None, record=True)
    text.render(through_rich, snapshot, shown, text.TextOptions())
    assert fast.file.getvalue() == through_rich.file.getvalue()  # type: ignore[attr-defined]


@settings(max_examples=3000, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("a [/]\\\t\x00\x85\u200e\u2028\u202e\u2066é·"), max_size=12)
    | st.text(max_size=12)
)
def test_literal_text_is_escaped_as_in_full(raw: str) -> None:
    # literal() skips the steps that would change nothing: the result must be the full one.
    from rich.markup import escape

    assert text.literal(raw) == escape(raw.translate(text._VISIBLE))
    assert all(not chr(c).isprintable() for c in text._UNSAFE)
