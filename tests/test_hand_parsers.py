"""What the dump path reads by hand reads as the regular expressions it replaced.

A small dump is read without importing ``re`` (it costs a command ~8 ms of start-up): headers,
labels, sniffing, closure names and escaped prefixes are read with str and bytes methods. Each
reader is compared here with the pattern it replaced, on any text built from the fragments that
matter to it.
"""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from goleash.analysis.ignore import escape
from goleash.analysis.suspects import closure_holder
from goleash.dumps import countprofile, sniff, traceback

SUFFIX = re.compile(
    rb"(?:gp=(?:0x[0-9a-f]+|nil) m=(?:\d+ mp=0x[0-9a-f]+|nil) )?"
    rb"\[([^\]\n]*)\](?: \{([^\n]*)\})?:"
)
ANY_HEADER = re.compile(rb"goroutine \d+ (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[[^\n]*\][^\n]*:\r?\n")
LABEL = re.compile(
    rb'(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9./_]+)): (?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9./_]*))'
    rb"(?:, |\Z)"
)
ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)
TRACEBACK_HEADER = re.compile(rb"^\s*goroutine \d+ ", re.MULTILINE)
COUNT_HEADER = re.compile(rb"^(\S+) profile: total \d+\s*$", re.MULTILINE)
CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
CLOSURE = re.compile(r"^(?P<outer>.+?)\.(?:func|gowrap)\d+(?:\.\d+)*$")
LAST_LITERAL = re.compile(r"\.(?:func|gowrap)?\d+$")
FRAME_OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")


def texts(*fragments: bytes, size: int = 12) -> st.SearchStrategy[bytes]:
    """Texts made of the fragments a reader cares about, and of any other bytes."""
    parts = st.sampled_from(fragments) | st.binary(min_size=1, max_size=2)
    return st.lists(parts, max_size=size).map(b"".join)


_HEADERS = texts(
    b"goroutine ", b"1", b"42", b" ", b"gp=", b"0x", b"c0", b"nil", b" m=", b"m=", b"3",
    b" mp=0x", b"mp=", b"[", b"]", b"chan receive", b" {", b"}", b":", b"\r", b"\n", b"\t",
    b'"k": "v"', b"log: ",
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(_HEADERS)
def test_header_suffixes_read_as_the_pattern(text: bytes) -> None:
    m = SUFFIX.fullmatch(text)
    assert traceback._suffix_parts(text) == (None if m is None else (m.group(1), m.group(2)))


@settings(max_examples=3000, deadline=None)
@given(_HEADERS)
def test_headers_anywhere_are_found_as_the_pattern_finds_them(text: bytes) -> None:
    m = ANY_HEADER.search(text)
    assert traceback._any_header(text) == (None if m is None else (m.start(), m.end()))


def reference_labels(text: bytes) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if m is None:
            return None
        k_q, k_b, v_q, v_b = m.groups()
        key = reference_unquote(k_q) if k_q is not None else k_b.decode("utf-8", "replace")
        value = reference_unquote(v_q) if v_q is not None else v_b.decode("utf-8", "replace")
        labels[key] = value
        pos = m.end()
    return labels


def reference_unquote(s: bytes) -> str:
    def one(m: re.Match[bytes]) -> bytes:
        e = m.group(1)
        c = e[:1]
        if c == b"x" and len(e) == 3:  # (the old reader raised on "\\x" without two digits)
            return bytes([int(e[1:], 16)])
        if c in (b"u", b"U"):
            try:
                return chr(int(e[1:], 16)).encode("utf-8", "surrogatepass")
            except (ValueError, OverflowError):
                return e
        return {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(c, c)

    return ESCAPE.sub(one, s).decode("utf-8", "replace")


_LABELS = texts(
    b'"', b"\\", b"k", b"v", b"a.b/c_d", b": ", b", ", b":", b",", b" ", b"\\n", b"\\x4a",
    b"\\u00e9", b"\\U0001F600", b"\\U00110000", b"\\xZ", b"\n", b"\xc3\xa9", b"-",
    size=16,
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(_LABELS)
def test_labels_read_as_the_pattern_reads_them(text: bytes) -> None:
    assert traceback._parse_labels(text) == reference_labels(text)


@settings(max_examples=2000, deadline=None)
@given(_LABELS)
def test_escapes_are_undone_as_the_pattern_undoes_them(text: bytes) -> None:
    assert traceback._unquote(text) == reference_unquote(text)


_SNIFFED = texts(
    b"goroutine ", b"7", b" ", b"\n", b"\t", b"\r", b"\x0b", b"  ", b"x", b"goroutine",
    b" profile: total ", b"heap", b"goroutine profile: total 12", b"12", b"\x00", b"\x1b",
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(_SNIFFED)
def test_sniffing_finds_headers_where_the_patterns_do(head: bytes) -> None:
    trace = TRACEBACK_HEADER.search(head)
    assert sniff._traceback_header(head) == (None if trace is None else trace.start())
    count = COUNT_HEADER.search(head)
    assert sniff._count_header(head) == (None if count is None else (count.start(), count[1]))
    start = head[:512]
    has_control = len(start.translate(None, sniff._CONTROL)) != len(start)
    assert has_control == (CONTROL.search(start) is not None)


_NAMES = st.lists(
    st.sampled_from(["main", "handle", "func", "gowrap", "1", "23", "٣", "func1", "x"]),
    min_size=1,
    max_size=6,
).map(".".join) | st.text(st.characters(blacklist_characters="\n"), max_size=12)


@settings(max_examples=3000, deadline=None)
@given(_NAMES)
def test_closure_names_read_as_the_patterns_read_them(name: str) -> None:
    expected = None
    if CLOSURE.match(name) is not None:
        expected = LAST_LITERAL.sub("", name, count=1)
    assert closure_holder(name) == expected


@settings(max_examples=2000, deadline=None)
@given(st.text())
def test_prefixes_are_escaped_as_re_escapes_them(text: str) -> None:
    assert escape(text) == re.escape(text)


def test_a_small_dump_with_labels_is_read_and_reported_without_re(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A debug=2 dump ends with one newline: its last record too is read without the patterns.
    dump = tmp_path / "small.txt"
    dump.write_bytes(
        b'goroutine 1 [running] {"request": "a\\x2fb", "path": "/x"}:\n'
        b"main.main()\n\t/src/main.go:9 +0x1d\n\n"
        b"goroutine 7 [chan receive, 3 minutes]:\nmain.worker()\n\t/src/main.go:20 +0x2a\n"
        b"created by main.main in goroutine 1\n\t/src/main.go:12 +0x3b\n"
    )
    code = (
        "import sys\n"
        "from goleash.cli import main\n"
        f"sys.argv = ['goleash', 'dump', {str(dump)!r}, '--format', 'json']\n"
        "sys.exit(main())\n"
    )
    run = subprocess.run(  # in a folder with no Go source: nothing to look up or explain
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]  # read, and nothing suspect
    assert '"request": "a/b"' in run.stdout
    imported = {line.rpartition("|")[2].strip() for line in run.stderr.splitlines()}
    assert "goleash.dumps.traceback" in imported
    assert not imported & {"re", "json", "typing"}


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["main.f", "+0x", "+", "0x", "1c", "Ab", "g", "\n", " ", "[...]", "+0x1"])
        | st.text(max_size=2),
        max_size=8,
    ).map("".join)
)
def test_debug1_function_offsets_are_cut_as_the_pattern(function: str) -> None:
    function = function.strip()  # as the frame line's field is
    assert countprofile._without_offset(function) == FRAME_OFFSET.sub("", function)
