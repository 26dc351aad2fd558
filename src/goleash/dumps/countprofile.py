"""The ``debug=1`` text of the goroutine and goroutineleak profiles.

Go's ``runtime/pprof.printCountProfile`` writes one block per distinct (stack, labels)::

    goroutine profile: total 17
    5 @ 0x48c1ea 0x418c9c 0x418897 0x68121d 0x4930e1
    # labels: {"handler":"/api/v1", "tenant":"acme corp"}
    #	0x68121c	main.worker+0x1c		/src/main.go:38

The format carries no goroutine state, ids or wait times, so groups keep ``state=""``. Every
goroutine of a goroutineleak profile is a leak, except the empty ``1 @`` record Go 1.27 prints
for a ``main`` parked in ``select {}``: the runtime counts it but does not report it as leaked.
(Go 1.26's experiment still reports such a ``main`` as a real leaked record; the ignore packs
cover it.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator

from goleash import collector
from goleash.dumps.ansi import ansi_text
from goleash.dumps.builder import SnapshotBuilder
from goleash.model import Frame, Goroutine, Snapshot

# typing costs start-up time; the annotations only need it when mypy reads them
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

GOROUTINE_PROFILES = ("goroutine", "goroutineleak")

_HEADER = re.compile(r"(\S+) profile: total (\d+)\s*$")
_RECORD = re.compile(r"(\d+) @((?: 0x[0-9a-fA-F]+)*)\s*$")
_PC = re.compile(r"0x[0-9a-fA-F]+")
_LABELS = "# labels: "

PHANTOM_WARNING = (
    "the goroutineleak total includes {n} goroutine with no stack: main parked in select {{}}, "
    "which Go does not report as leaked; goleash does not count it"
)


def parse(stream: BinaryIO, *, source: str = "") -> list[Snapshot]:
    """Read one or more concatenated ``debug=1`` goroutine/goroutineleak profiles.

    Lines that fit no record are counted and reported as warnings; goroutines the header counts
    but no readable record holds are reported as ``unparsed``.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=None)
    try:
        with collector.paused():  # many small objects, no reference cycles
            return list(_profiles(text, source))
    finally:
        text.detach()  # the caller's stream stays open: a collected wrapper would close it


class _Profile:
    """State of the profile being read: its builder and the record in progress."""

    def __init__(self, name: str, reported: int, source: str) -> None:
        self.builder = SnapshotBuilder(format="debug1", profile=name, source=source)
        self.builder.reported_total = reported
        self.leak = name == "goroutineleak"
        self.count = 0
        self.pcs = 0
        self.frames: list[Frame] = []
        self.labels: dict[str, str] = {}
        self.open = False
        self.phantom = 0
        self.junk = 0
        self.unsymbolised = 0
        self._seen: dict[str, Frame] = {}
        self._labels: dict[str, dict[str, str]] = {}

    def start(self, count: int, pcs: int) -> None:
        self.flush()
        self.count, self.pcs, self.open = count, pcs, True

    def flush(self) -> None:
        """Hand the record in progress to the builder."""
        if not self.open:
            return
        self.open = False
        frames, labels, count = tuple(self.frames), self.labels, self.count
        self.frames, self.labels = [], {}
        if not frames:
            if self.pcs == 0:
                if self.leak:
                    self.phantom += count
                else:
                    self.builder.skip(count, "records with no stack were skipped")
                return
            # Go hides runtime.goexit even when it reprints a runtime-only stack, so PCs with
            # no frame line mean a goroutine just started or just ending: still a goroutine.
            frames = (self.builder.frame("runtime.goexit", "", 0),)
        g = Goroutine(id=None, state="", frames=frames, leaked=self.leak, labels=labels)
        self.builder.add(g, count)

    def label_line(self, line: str) -> None:
        labels = self._labels.get(line)
        if labels is None:
            labels = parse_labels(line[len(_LABELS) :])
            if labels is None:
                self.junk += 1
                return
            self._labels[line] = labels  # shared by records, never changed
        self.labels = labels

    def frame(self, line: str) -> None:
        # The same frame line recurs in many records (and profiles): parse each once.
        known = self._seen.get(line)
        if known is not None:
            self.frames.append(known)
            return
        fields = list(filter(None, line[1:].split("\t")))  # tabwriter pads with more tabs
        if len(fields) >= 3:
            function = _without_offset(fields[1].strip())
            file, _, number = fields[2].strip().rpartition(":")
            if file and number.isdigit():
                frame = self.builder.frame(function, file, int(number))
                self._seen[line] = frame
                self.frames.append(frame)
                return
        if len(fields) == 1 and _PC.fullmatch(fields[0].strip()):
            pc = fields[0].strip()
            if int(pc, 16) == 0:
                return  # the phantom record's only line: no frame at all
            # Unsymbolised PC: keep it as a frame so distinct stacks stay distinct.
            self.unsymbolised += 1
            self.frames.append(self.builder.frame(pc, "", 0))
            return
        self.junk += 1

    def build(self) -> Snapshot:
        self.flush()
        b = self.builder
        if self.phantom:
            b.warn(PHANTOM_WARNING.format(n=self.phantom))
        if self.unsymbolised:
            b.warn(f"{self.unsymbolised} stack frames had no symbol (shown as their PC)")
        if self.junk:
            b.warn(f"{self.junk} lines in the profile were not understood and were ignored")
        reported = b.reported_total or 0
        missing = reported - self.phantom - b.total - b.unparsed
        if missing > 0:
            b.skip(
                missing,
                f"the header says {reported} goroutines but records for {missing} of them "
                "could not be read",
            )
        return b.build()


def _without_offset(function: str) -> str:
    """``function`` (a stripped field) without a ``+0x…`` offset (one or more hex digits) at
    its end; read by hand, not by a regular expression: a profile has tens of thousands of
    frame lines."""
    plus = function.rfind("+0x")
    if plus < 0 or plus + 3 == len(function) or function[plus + 3 :].strip(_HEX):
        return function
    return function[:plus]


_HEX = "0123456789abcdefABCDEF"


def _profiles(lines: Iterable[str], source: str) -> Iterator[Snapshot]:
    current: _Profile | None = None
    other: str | None = None  # a non-goroutine count profile being skipped
    stray = 0  # lines before any header
    for raw in lines:
        line = raw.rstrip("\r\n")
        if "\x1b" in line:
            line = ansi_text().sub("", line)  # colours from a terminal or log viewer
        if current is not None and current.open and line.startswith("#"):
            # Frame and label lines are most of a profile: check them first.
            if line.startswith(_LABELS):
                current.label_line(line)
            else:
                current.frame(line)
            continue
        header = _HEADER.match(line)
        if header:
            if current is not None:
                yield current.build()
                current = None
            name = header.group(1)
            if name in GOROUTINE_PROFILES:
                current, other = _Profile(name, int(header.group(2)), source), None
                if stray:
                    current.builder.warn(f"{stray} lines before the profile header were ignored")
                    stray = 0
            else:
                other = name
            continue
        if current is None:
            if line.strip() and other is None:
                stray += 1
            continue
        if not line.strip():
            current.flush()
            continue
        record = _RECORD.match(line)
        if record:
            current.start(int(record.group(1)), len(record.group(2).split()))
        else:
            current.junk += 1
    if current is not None:
        yield current.build()


def parse_labels(text: str) -> dict[str, str] | None:
    """Parse ``{"k":"v", "k2":"v2"}`` with Go-quoted strings; None when it does not fit."""
    s = text.strip()
    if not (s.startswith("{") and s.endswith("}")):
        return None
    labels: dict[str, str] = {}
    i, end = 1, len(s) - 1
    while i < end:
        while i < end and s[i] in " ,":
            i += 1
        if i >= end:
            break
        key = _go_string(s, i)
        if key is None:
            return None
        k, i = key
        if i >= end or s[i] != ":":
            return None
        value = _go_string(s, i + 1)
        if value is None:
            return None
        v, i = value
        labels[k] = v
    return labels


_SIMPLE_ESCAPES = {
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "v": b"\v",
    "\\": b"\\",
    '"': b'"',
    "'": b"'",
}


def _go_string(s: str, i: int) -> tuple[str, int] | None:
    """Decode the Go-quoted (strconv.Quote) string starting at ``s[i]``; return it and the end.

    ``\\xHH`` escapes are raw bytes, so the value is assembled as bytes and decoded once.
    """
    if i >= len(s) or s[i] != '"':
        return None
    out = bytearray()
    i += 1
    while i < len(s):
        c = s[i]
        if c == '"':
            return out.decode("utf-8", errors="replace"), i + 1
        if c != "\\":
            out += c.encode("utf-8", errors="replace")
            i += 1
            continue
        if i + 1 >= len(s):
            return None
        e = s[i + 1]
        if e in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[e]
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(e)
        try:
            if width is not None:
                digits = s[i + 2 : i + 2 + width]
                if len(digits) != width:
                    return None
                n = int(digits, 16)
                out += bytes([n]) if e == "x" else chr(n).encode("utf-8", errors="replace")
                i += 2 + width
            elif e in "01234567":
                out.append(int(s[i + 1 : i + 4], 8) & 0xFF)
                i += 4
            else:
                return None
        except ValueError:
            return None
    return None
