"""Format sniffing: look at the first bytes, then stream the input through the right parser.

gzip is unwrapped on the fly (and sniffed again), a leading ``0x0a`` in binary data is a
profile.proto, a ``… profile: total N`` header is ``debug=1`` text, and any other text goes to
the traceback parser, which skips junk around goroutines. ANSI colour codes (text copied from a
terminal or log viewer) are ignored. Input that holds no goroutine dump at all is an
InputError.
"""

from __future__ import annotations

import io

from goleash.dumps.ansi import strip_ansi
from goleash.errors import InputError
from goleash.model import Snapshot

# typing costs start-up time; the annotations only need it when mypy reads them
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
# Enough to see past a log prefix or HTTP headers to the first dump header.
_HEAD = 64 * 1024
# Bytes that never occur in text dumps (tab, newlines, form feed and ESC for colours do).
_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BLANK = frozenset(b" \t\n\r\x0b\x0c")  # what ``\\s`` matches in a bytes pattern
_DIGITS = frozenset(b"0123456789")
# First byte of a profile.proto: the tag of one of Profile's fields (number << 3 | wire type).
# Go starts with period_type (11, length-delimited); other writers with sample_type (1).
_PROFILE_TAGS = frozenset(
    [n << 3 | 2 for n in (1, 2, 3, 4, 5, 6, 11, 13)] + [n << 3 for n in (7, 8, 9, 10, 12, 13, 14)]
)


def read_snapshots(stream: BinaryIO, *, source: str = "") -> list[Snapshot]:
    """Sniff the format of ``stream`` and parse it into one Snapshot per dump it holds.

    Accepts traceback text (debug=2, panics, SIGQUIT, runtime.Stack), ``debug=1`` text and
    ``debug=0`` profile.proto, each optionally gzipped. Raises InputError for input that is not
    a goroutine dump at all; partial input gives partial results with warnings.
    """
    name = source or "input"
    head, stream = peek(stream, _HEAD)
    gunzipped: _Gunzip | None = None
    if head.startswith(GZIP_MAGIC):
        gunzipped = _Gunzip(stream)
        head, stream = peek(_buffered(gunzipped), _HEAD)
        if not head and gunzipped.problem:
            raise InputError(f"{name} is not a goroutine dump: {gunzipped.problem}")
    try:
        snapshots = _parse(head, stream, name, source)
    except InputError as e:
        if gunzipped is not None and gunzipped.problem:
            # What was unpacked is cut short: the gzip damage is the cause, not the format.
            raise InputError(f"{name}: {gunzipped.problem}; {_reason(e, name)}") from e
        raise
    if gunzipped is not None and gunzipped.problem:
        from goleash.dumps.traceback import CUT_WARNING

        cause = f"input cut short: {gunzipped.problem}"
        snapshots = [
            s._replace(warnings=(*(w for w in s.warnings if not w.startswith(CUT_WARNING)), cause))
            for s in snapshots
        ]
    if not any(s.total or s.runtime_total for s in snapshots):
        unread = sum(s.unparsed for s in snapshots)
        if unread:
            nothing = f"none of its {unread} goroutine(s) could be read"
            if gunzipped is not None and gunzipped.problem:
                raise InputError(f"{name}: {gunzipped.problem}; {nothing}")
            why = "; ".join(w for s in snapshots for w in s.warnings[:1])
            raise InputError(f"{name}: {nothing}" + (f" ({why})" if why else ""))
    return snapshots


def _reason(error: InputError, name: str) -> str:
    """The reason part of a parser's message, without the input's name in front."""
    text = str(error)
    for lead in (f"{name} is not a goroutine dump: ", f"{name}: ", f"{name} "):
        if text.startswith(lead):
            return text[len(lead) :]
    return text


def _parse(head: bytes, stream: BinaryIO, name: str, source: str) -> list[Snapshot]:
    if not head.strip():
        raise InputError(f"{name} is not a goroutine dump: it is empty")
    start = head[:512]
    if len(start.translate(None, _CONTROL)) != len(start):
        if head[0] in _PROFILE_TAGS:
            from goleash.dumps import proto

            return proto.parse(stream, source=source)
        raise InputError(f"{name} is not a goroutine dump: it is binary data")
    head = strip_ansi(head)  # text copied from a terminal: the parsers strip colours too
    count = _count_header(head)
    trace = _traceback_header(head)
    if count is not None and (trace is None or count[0] < trace):
        from goleash.dumps import countprofile

        kind = count[1].decode("ascii", errors="replace")
        if kind not in countprofile.GOROUTINE_PROFILES:
            raise InputError(f"{name} is not a goroutine dump: it is a {kind} profile")
        return countprofile.parse(stream, source=source)
    if trace is None and _looks_like_html(head):
        # An error page or the pprof index: say so rather than "no goroutine found".
        raise InputError(f"{name} is not a goroutine dump: it is an HTML page")
    from goleash.dumps.traceback import parse as parse_traceback

    snapshots = parse_traceback(stream, source=source)
    if not any(s.total or s.unparsed for s in snapshots):
        raise InputError(f"{name} is not a goroutine dump: no goroutine found")
    return snapshots


# The two headers below are read by hand, not by regular expressions: a small dump then never
# imports ``re``. Their tests compare them with the patterns their docstrings give.


def _traceback_header(head: bytes) -> int | None:
    """Where ``rb"^\\s*goroutine \\d+ "`` (multiline) first matches: blanks from a line start,
    then ``goroutine``, an id and a space; None if nowhere."""
    at = head.find(b"goroutine ")
    while at >= 0:
        space = head.find(b" ", at + 10)
        if space > at + 10 and head[at + 10 : space].isdigit():
            blanks = at  # the blanks before it, which may span lines, begin here
            while blanks > 0 and head[blanks - 1] in _BLANK:
                blanks -= 1
            if blanks == 0:
                return 0
            newline = head.find(b"\n", blanks, at)
            if newline >= 0:
                return newline + 1
        at = head.find(b"goroutine ", at + 1)
    return None


def _count_header(head: bytes) -> tuple[int, bytes] | None:
    """Where ``rb"^(\\S+) profile: total \\d+\\s*$"`` (multiline) first matches, and its kind
    (``goroutine``, ``heap``…): a line of a debug=1 profile's header; None if nowhere."""
    at = head.find(b" profile: total ")
    while at >= 0:
        start = head.rfind(b"\n", 0, at) + 1
        kind = head[start:at]
        digits = at + 16
        end = digits
        while end < len(head) and head[end] in _DIGITS:
            end += 1
        if end > digits and kind.split() == [kind]:
            blanks = end
            while blanks < len(head) and head[blanks] in _BLANK and head[blanks] != 10:
                blanks += 1
            if blanks == len(head) or head[blanks] == 10:  # the line ends after them
                return start, kind
        at = head.find(b" profile: total ", at + 1)
    return None


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


def peek(stream: BinaryIO, size: int) -> tuple[bytes, BinaryIO]:
    """Read up to ``size`` bytes and return them with a stream that still starts at them."""
    if _seekable(stream):
        # A file: read the head and rewind, so parsers read the file itself without a copy.
        start = stream.tell()
        head = stream.read(size)
        stream.seek(start)
        return head, stream
    chunks: list[bytes] = []
    have = 0
    while have < size:
        chunk = stream.read(size - have)
        if not chunk:
            break
        chunks.append(chunk)
        have += len(chunk)
    head = b"".join(chunks)
    return head, _buffered(_Prefixed(head, stream))


def _seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _buffered(raw: io.RawIOBase) -> BinaryIO:
    return io.BufferedReader(raw, buffer_size=1 << 16)


class _Prefixed(io.RawIOBase):
    """Bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Gunzip(io.RawIOBase):
    """Streaming gunzip that ends at a truncated or corrupt tail instead of raising.

    What went wrong is kept in ``problem`` so the caller can warn: a dump cut short still
    gives the goroutines before the cut.
    """

    def __init__(self, stream: BinaryIO) -> None:
        import gzip  # only for gzipped input
        import zlib

        self._gz = gzip.GzipFile(fileobj=stream, mode="rb")
        self._zlib_error = zlib.error
        self.problem = ""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.problem:
            return 0
        try:
            data = self._gz.read1(len(buffer))  # read1: a failing read loses no data
        except EOFError:
            self.problem = "the gzip stream is truncated"
            return 0
        except (OSError, self._zlib_error) as e:  # BadGzipFile is an OSError
            self.problem = f"corrupt gzip data ({e})"
            return 0
        buffer[: len(data)] = data
        return len(data)
