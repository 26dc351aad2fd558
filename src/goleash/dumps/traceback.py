"""Traceback text: ``debug=2``, ``runtime.Stack(buf, true)``, panics, fatal errors, SIGQUIT.

``parse(stream)`` returns one Snapshot per dump found in the stream. It reads the stream in large
chunks and never holds more than a few of them, so memory follows the number of distinct stack
shapes, not the number of goroutines.

How it stays fast: stacks of one shape differ only in the goroutine id, the argument values and
the parent id. Each distinct stack body is parsed once, in full, by the *slow path* (the
reference for every format detail). A shape seen at least twice becomes a regular expression
that matches the same body exactly (function names, files, lines, offsets present or not) with
any argument values and any parent id; the most frequent shapes are joined into one alternation
that a scanner runs over a whole chunk (the *fast path*), so the per-goroutine work is done in C.
The fast path stops at the first record it does not match exactly (a new shape, junk, a
preamble, ``fp=`` noise) and hands that record to the slow path; batches with a repeated id go to
the slow path too, so both paths give the same result (a test checks this).

Decisions a caller can rely on:

- ``Goroutine.state`` is the status or wait reason as printed, without the ``(leaked)`` and
  ``(scan)`` flags (they become ``leaked`` or are dropped). ``(durable)`` is kept
  (``chan send (durable)``): the runtime names those waits with the suffix, and it changes what
  they mean (only the synctest bubble can wake them).
- ``goroutine 0`` records (one per M, printed at ``GOTRACEBACK=system``/``crash`` and on SIGQUIT)
  and runtime system goroutines (shown only at those levels: the start function, the frame above
  ``runtime.goexit``, is in package runtime and is not ``runtime.main``; the finalizer and cleanup
  goroutines count when they run user code) are kept apart in ``runtime_groups`` and
  ``runtime_total``, so ``total`` equals what ``runtime.NumGoroutine()`` said when the dump was
  taken.
- ``deadlock`` is set on the dump that follows ``fatal error: all goroutines are asleep -
  deadlock!``.
- ``[originating from goroutine N]:`` ancestor sections (``GODEBUG=tracebackancestors=N``) are
  skipped; they are not goroutines.
- A goroutine whose header reads but whose body does not is counted in ``unparsed`` with a
  warning. Text between goroutines that is no part of a dump, and lines inside a stack that
  fit no stack line (log lines another goroutine wrote meanwhile), are skipped and counted in
  one warning.
  A stream that ends inside a goroutine (files get cut; pprof cuts ``debug=2`` at 64 MB) gives
  the goroutines before the cut, the partial one in ``unparsed`` and a warning. A cut exactly at
  the end of a frame line cannot be told from a shorter stack and reads as one.
- A new dump starts at a preamble line (``panic:``, ``fatal error:``, ``SIGQUIT: quit``, ...)
  once the current dump has goroutines, or at a goroutine id the current dump has already shown
  (ids are remembered for the first 65,536 goroutines of each dump).
- ANSI escapes (colours from a terminal or log viewer) are removed.
- Log prefixes (``2026/11/22 04:00:00 ``, ``app-1  | ``) are recognised in front of the first
  goroutine header of each chunk of input (and of any block of text that hides a prefixed
  header) and removed from every line that has the same form (digits may differ; the trailing
  blank may be missing on empty lines); CRLF and space-indented file lines are normalised.
- Inlined frames (``f(...)`` with no ``+0x``) are frames; argument values never are.
- ``go_version`` is a lower bound such as ``go1.21+`` when the text proves one: ``in goroutine N``
  or ``...N frames elided...`` (1.21), ``gp=`` headers (1.22), ``synctest bubble`` (1.25),
  ``(leaked)`` or header labels (1.26).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections import defaultdict, deque
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, itemgetter

from goleash.dumps.ansi import strip_ansi
from goleash.dumps.builder import SnapshotBuilder
from goleash.errors import InputError
from goleash.model import Frame, Goroutine, Snapshot

FIRST_CHUNK = 256 << 10  # small, so the fast path learns the shapes early
CHUNK = 4 << 20
MAX_LINE = 16 << 20  # a "line" longer than this is binary junk
MAX_FAST_SHAPES = 48
MAX_COMPILES = 8
MAX_PATTERN = 48 << 10
SEEN_IDS = 65536

CUT_WARNING = "the input ends inside a goroutine"
TRUNCATED = CUT_WARNING + ": the dump was cut short"
# runtime/pprof stops growing its debug=2 buffer at 64 MB: a cut there is pprof's, not the file's.
PPROF_CUT = 64 << 20
TRUNCATED_BY_PPROF = CUT_WARNING + ": pprof cuts debug=2 output at 64 MB"
UNREADABLE = "could not read the stack of {n} goroutine(s)"
DEADLOCK = b"fatal error: all goroutines are asleep - deadlock!"
JUNK = "skipped {n} line(s) in or between goroutines that are no part of a traceback"

# Goroutine ids are uint64; a longer number is no id and its record reads as unparsed.
_ID = rb"(\d{1,19})"
_HEADER = re.compile(rb"goroutine " + _ID + rb" ([^\n]*)")
_HEADER_START = re.compile(rb"goroutine \d+ (?:gp=|\[)")  # a record, even if cut short
_SUFFIX = re.compile(
    rb"(?:gp=(?:0x[0-9a-f]+|nil) m=(?:\d+ mp=0x[0-9a-f]+|nil) )?"
    rb"\[([^\]\n]*)\](?: \{([^\n]*)\})?:"
)
_LABEL = re.compile(
    rb'(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9./_]+)): (?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9./_]*))'
    rb"(?:, |\Z)"
)
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)
_MINUTES = re.compile(rb"(\d+) minutes?")
_FILE = re.compile(
    rb"\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?"
)
_ELIDED = re.compile(rb"\.\.\.(?:(\d+) frames|additional frames) elided\.\.\.")
_CREATED = re.compile(rb"created by (\S+?)(?: in goroutine " + _ID + rb")?")
_ANCESTOR = b"[originating from goroutine "
_UNAVAILABLE = b"\tgoroutine running on other thread; stack unavailable"
_ARGS = re.compile(rb"\([^()\n]*\)$", re.M)
_PARENT = re.compile(rb" in goroutine \d+$", re.M)
# A goroutine header anywhere in a line, to find log prefixes in front of it.
_ANY_HEADER = re.compile(rb"goroutine \d+ (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[[^\n]*\][^\n]*:\r?\n")
_SPACES = re.compile(rb"^ +(?=\S)", re.M)

# Text around dumps that needs no warning. Preambles also start a new dump.
_PREAMBLE = re.compile(
    rb"(?:panic: |fatal error: |SIG[A-Z]+: |unexpected fault address|runtime: |\[signal )"
)
_QUIET = re.compile(
    rb"(?:runtime stack:|\[originating from|exit status \d|FAIL|PASS|ok |--- |=== |"
    rb"[a-z][a-z0-9]{1,6} +0x[0-9a-f]+$|PC=|created by |\t|goroutine \d+ )"
)

_USER_STARTERS = ("runtime.main", "runtime.corostart", "runtime.handleAsyncEvent")
_SOMETIMES_USER_STARTERS = ("runtime.runFinalizers", "runtime.runfinq", "runtime.runCleanups")


@dataclass(frozen=True, slots=True)
class _Header:
    state: str
    wait_minutes: int | None
    leaked: bool
    locked: bool
    labels: dict[str, str]
    version: int  # minor version this header proves, 0 if none


@dataclass(frozen=True, slots=True)
class _Body:
    shape: _Shape | None  # None: unreadable
    junk: int = 0  # lines after the last frame that are no part of the stack
    cut_frame: bool = False  # the stack ends with a frame line whose file line is missing


@dataclass(frozen=True, slots=True)
class _Shape:
    frames: tuple[Frame, ...]
    created_by: Frame | None
    elided: int
    system: bool
    version: int
    # How to match the body with any argument values and parent id: (literal, regex) pieces,
    # escaped and joined only if the shape is compiled into the fast path. None: slow path only.
    pattern: tuple[tuple[bytes, bytes], ...] | None


def parse(stream: typing.BinaryIO, *, source: str = "") -> list[Snapshot]:
    """Read traceback text from ``stream``: one Snapshot per dump found in it.

    Raises InputError when the stream holds no goroutine at all, or cannot be read.
    """
    return _Parser(source).run(stream)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.snapshots: list[Snapshot] = []
        self.builder: SnapshotBuilder | None = None
        # Runtime system goroutines and g0 stacks of the current dump, counted apart.
        self.runtime: SnapshotBuilder | None = None
        self.deadlock = False  # the current dump follows "all goroutines are asleep"
        self.seen: set[int] = set()
        self.pending_junk = 0
        self.junk = 0
        self.version = 0
        self.leaked = False
        self.headers: dict[bytes, _Header | None] = {}
        self.bodies: dict[bytes, _Body] = {}
        self.body_bytes = 0
        self.file_lines: dict[bytes, _FileLine | None] = {}
        self.shape_counts: dict[bytes, int] = {}
        self.reasons: dict[str, int] = {}  # why goroutines went unparsed, and how many
        self.fast_shapes: list[_Shape] = []
        self.fast: re.Pattern[bytes] | None = None
        self.slow_since_compile = 0
        self.records_since_compile = 0
        self.compiles = 0
        self.prefix: re.Pattern[bytes] | None = None
        self.found_any = False
        self.bytes_read = 0

    # --- reading -----------------------------------------------------------------------------

    def run(self, stream: typing.BinaryIO) -> list[Snapshot]:
        raw_carry = b""  # a partial line, not yet normalised (only when normalising)
        carry = b""  # a partial record
        size = FIRST_CHUNK
        while True:
            try:
                data = stream.read(size)
            except OSError as e:
                raise InputError(f"cannot read {self.source or 'the input'}: {e}") from e
            size = CHUNK
            self.bytes_read += len(data)
            eof = not data
            if raw_carry:
                data, raw_carry = raw_carry + data, b""
            if self._needs_normalising(data):
                if not eof:
                    cut = data.rfind(b"\n") + 1
                    if cut == 0 and len(data) < MAX_LINE:
                        raw_carry = data
                        continue
                    cut = cut or len(data)  # binary junk with no line breaks: one long line
                    data, raw_carry = data[:cut], data[cut:]
                data = self._normalise(data)
            text = carry + data if carry else data
            end = text.rfind(b"\n\n") + 2
            if end < 2:
                end = 0
            if eof:
                self._block(text, end)
                self._slow(text[end:], final=True)
                break
            if end == 0 and len(text) < MAX_LINE:
                carry = text
                continue
            end = end or len(text)
            carry = text[end:]
            self._block(text, end)
        self._finish_dump()
        if not self.found_any:
            raise InputError(f"no goroutine traceback found in {self.source or 'the input'}")
        return self.snapshots

    def _needs_normalising(self, data: bytes) -> bool:
        """Whether this chunk has CRLF, ANSI escapes, a log prefix or space-indented file lines.

        Decided from the first goroutine header in the chunk, so a clean dump costs one search.
        """
        if b"\r" in data or b"\x1b" in data:
            return True
        return self._find_prefix(data)

    def _find_prefix(self, data: bytes) -> bool:
        """Learn the log prefix in front of the first goroutine header (None if there is none);
        True when the chunk needs normalising for a prefix or space-indented file lines."""
        m = _ANY_HEADER.search(data)
        if m is None:
            return self.prefix is not None
        start = data.rfind(b"\n", 0, m.start()) + 1
        if start != m.start():
            self.prefix = _prefix_pattern(data[start : m.start()])
            return True
        self.prefix = None
        nl = data.find(b"\n", m.end())
        return nl >= 0 and data[nl + 1 : nl + 2] == b" "

    def _normalise(self, text: bytes) -> bytes:
        """CRLF to LF, ANSI escapes and log prefixes removed, space-indented file lines back
        to tabs."""
        dirty = b"\r" in text or b"\x1b" in text
        if b"\r" in text:
            text = text.replace(b"\r\n", b"\n")
        text = strip_ansi(text)
        if dirty and self.prefix is None:
            self._find_prefix(text)  # a prefix may hide behind the CRs and colours
        if self.prefix is not None:
            text = self.prefix.sub(b"", text)
        if b"\n " in text or text.startswith(b" "):
            text = _SPACES.sub(b"\t", text)
        return text

    # --- chunks ------------------------------------------------------------------------------

    def _block(self, text: bytes, end: int) -> None:
        """Parse the whole records in ``text[:end]``: known shapes fast, the rest slowly."""
        pos = 0
        while pos < end:
            rx = self.fast
            if rx is None:
                self._slow(text[pos:end])
                self._maybe_compile()
                return
            scanner = getattr(rx, "scanner")(text, pos, end)  # noqa: B009 - undocumented in typeshed
            ms: list[re.Match[bytes]] = list(iter(scanner.match, None))
            if ms:
                stop = ms[-1].end()
                if not self._fast(ms):
                    self._slow(text[pos:stop])
                pos = stop
                if pos >= end:
                    break
            # The record here fits no known shape: read it slowly.
            nxt = text.find(b"\n\n", pos, end)
            nxt = end if nxt < 0 else nxt + 2
            self._slow(text[pos:nxt])
            pos = nxt
            self._maybe_compile()

    def _fast(self, ms: list[re.Match[bytes]]) -> bool:
        """Add goroutines matched by known shapes; False (nothing added) if they need care."""
        kinds = list(map(attrgetter("lastindex"), ms))
        rows = list(map(re.Match.group, ms, repeat(1), repeat(2), kinds))
        ids = list(map(int, map(itemgetter(0), rows)))
        seen = self.seen
        if len(set(ids)) != len(ids) or not seen.isdisjoint(ids) or 0 in ids:
            return False  # a repeated id may start a new dump: the slow path decides
        heads = list(map(itemgetter(1), rows))
        headers = self.headers
        for h in set(heads):
            if h not in headers:
                headers[h] = _parse_header(h)
            if headers[h] is None:
                return False
        # Group ids and parents by (shape, header) without a Python loop per goroutine.
        keys = list(zip(kinds, heads, strict=True))
        by_key: defaultdict[tuple[int, bytes], list[int]] = defaultdict(list)
        parents_by_key: defaultdict[tuple[int, bytes], list[bytes]] = defaultdict(list)
        deque(map(list.append, map(by_key.__getitem__, keys), ids), maxlen=0)
        deque(
            map(list.append, map(parents_by_key.__getitem__, keys), map(itemgetter(2), rows)),
            maxlen=0,
        )
        self._commit_junk()
        self.found_any = True
        self.records_since_compile += len(ms)
        if len(seen) < SEEN_IDS:
            seen.update(ids[: SEEN_IDS - len(seen)])
        for key, gids in by_key.items():
            header = headers[key[1]]
            assert header is not None
            pids = list(map(int, filter(None, parents_by_key[key])))
            self._add_many(header, self.fast_shapes[key[0] - 3], gids, pids)
        return True

    def _maybe_compile(self) -> None:
        """Recompile when the slow path does a good share of the work, a bounded number of times."""
        slow = self.slow_since_compile
        if self.compiles >= MAX_COMPILES or slow < 32:
            return
        if self.fast is not None and (slow < 64 or slow * 4 < self.records_since_compile):
            return
        self._compile()

    def _compile(self) -> None:
        """Rebuild the fast-path alternation from the most frequent shapes seen so far."""
        self.slow_since_compile = 0
        self.records_since_compile = 0
        best = sorted(self.shape_counts.items(), key=lambda kv: -kv[1])
        shapes: list[_Shape] = []
        size = 0
        for key, count in best:
            body = self.bodies.get(key)
            if count < 2 or len(shapes) == MAX_FAST_SHAPES:
                break  # shapes seen once may never come back: not worth compiling
            if body is None or body.shape is None or body.shape.pattern is None:
                continue
            size += sum(len(lit) + len(rx) for lit, rx in body.shape.pattern)
            if size > MAX_PATTERN:
                break  # compiling costs about 2.5 ms per KB of pattern
            shapes.append(body.shape)
        if not shapes or [s.pattern for s in shapes] == [s.pattern for s in self.fast_shapes]:
            return
        self.compiles += 1
        alternatives = b"|".join(_regex_of(s) for s in shapes)
        try:
            fast = re.compile(rb"goroutine " + _ID + rb" ([^\n]*)\n(?:" + alternatives + rb")\n")
        except (re.error, RecursionError, OverflowError):  # pragma: no cover - defensive
            return
        self.fast = fast
        self.fast_shapes = shapes

    # --- the slow path -----------------------------------------------------------------------

    def _slow(self, text: bytes, final: bool = False) -> None:
        records = text.split(b"\n\n")
        cut = not text.endswith(b"\n")
        last = len(records) - 1
        for i, rec in enumerate(records):
            self._record(rec.strip(b"\n"), at_eof=final and i == last, cut=cut)

    def _record(self, rec: bytes, at_eof: bool, cut: bool) -> None:
        if not rec:
            return
        if _HEADER_START.match(rec) is None:
            # A header may follow junk lines with no blank line in between.
            at = _find_header(rec)
            if at < 0:
                stripped = _strip_prefix(rec)
                if stripped is not None:  # a dump with its own log prefix, in the same chunk
                    self._slow(stripped, final=at_eof)
                    return
                self._text(rec)
                return
            self._text(rec[:at])
            rec = rec[at:]
        nxt = _find_header(rec)
        if nxt > 0:  # the next goroutine follows with no blank line in between
            self._record(rec[:nxt].rstrip(b"\n"), at_eof=False, cut=False)
            self._record(rec[nxt:], at_eof=at_eof, cut=cut)
            return
        self.found_any = True
        head, _, body = rec.partition(b"\n")
        truncated = at_eof and cut
        m = _HEADER.fullmatch(head)
        if m is None or truncated:
            self._unparsed(TRUNCATED if truncated else UNREADABLE)
            return
        gid = int(m.group(1))
        if gid != 0 and gid in self.seen:
            self._finish_dump()
        suffix = m.group(2)
        if suffix in self.headers:
            header = self.headers[suffix]
        else:
            header = self.headers[suffix] = _parse_header(suffix)
            if len(self.headers) > 50_000:  # unique labels per goroutine: keep memory flat
                self.headers.clear()
        if header is None:
            self._unparsed(UNREADABLE)
            return
        key = _PARENT.sub(b"", _ARGS.sub(b"()", body))
        parsed = self.bodies.get(key)
        if parsed is None:
            parsed = _parse_body(body, self.file_lines)
            self.body_bytes += len(key)
            if self.body_bytes > 32 << 20:  # many distinct stacks: keep memory flat
                self.bodies.clear()
                self.shape_counts.clear()
                self.body_bytes = len(key)
            self.bodies[key] = parsed
        shape = parsed.shape
        if shape is None:
            self._unparsed(TRUNCATED if at_eof and _looks_cut(body) else UNREADABLE)
            return
        if at_eof and parsed.cut_frame:
            self._unparsed(TRUNCATED)
            return
        if shape.pattern is not None:
            self.shape_counts[key] = self.shape_counts.get(key, 0) + 1
        self.slow_since_compile += 1
        self.records_since_compile += 1
        parent = _parent_of(body) if shape.created_by is not None else None
        if gid != 0 and len(self.seen) < SEEN_IDS:
            self.seen.add(gid)
        if gid != 0 and not shape.system:
            self._commit_junk()
            self._note(header, shape)
            self._builder().add(_goroutine(header, shape, gid, parent))
        else:
            self.found_any = True
            self._runtime_builder().add(_goroutine(header, shape, gid, parent))
        self.pending_junk += parsed.junk

    def _text(self, text: bytes) -> None:
        """Lines outside any goroutine: preambles, trailers, junk."""
        if text.startswith(b"runtime stack:"):
            return  # the system stack of a fatal error: frames, but no goroutine
        for line in text.split(b"\n"):
            if not line.strip():
                continue
            if _PREAMBLE.match(line):
                if self._has_goroutines():
                    self._finish_dump()
                if line.startswith(DEADLOCK):
                    self.deadlock = True
                continue
            if _QUIET.match(line):
                continue
            if self.builder is not None:
                self.pending_junk += 1

    # --- dumps -------------------------------------------------------------------------------

    def _builder(self) -> SnapshotBuilder:
        if self.builder is None:
            self.builder = SnapshotBuilder(format="traceback", source=self.source)
        return self.builder

    def _runtime_builder(self) -> SnapshotBuilder:
        if self.runtime is None:
            self.runtime = SnapshotBuilder(format="traceback", source=self.source)
        return self.runtime

    def _has_goroutines(self) -> bool:
        b, r = self.builder, self.runtime
        return (b is not None and bool(b.total or b.unparsed)) or (r is not None and r.total > 0)

    def _unparsed(self, reason: str) -> None:
        self._commit_junk()
        self._builder().unparsed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        self.found_any = True

    def _commit_junk(self) -> None:
        """Junk lines are "between goroutines" once another goroutine of the dump follows."""
        self.junk += self.pending_junk
        self.pending_junk = 0

    def _note(self, header: _Header, shape: _Shape) -> None:
        self.version = max(self.version, header.version, shape.version)
        self.leaked = self.leaked or header.leaked

    def _add_many(self, header: _Header, shape: _Shape, ids: list[int], parents: list[int]) -> None:
        if shape.system:
            self._runtime_builder().add_many(_goroutine(header, shape), ids, parents)
            return
        self._note(header, shape)
        self._builder().add_many(_goroutine(header, shape), ids, parents)

    def _finish_dump(self) -> None:
        if self._has_goroutines():
            b = self._builder()
            for reason, n in sorted(self.reasons.items()):
                if reason == TRUNCATED and self.bytes_read >= PPROF_CUT - (1 << 20):
                    reason = TRUNCATED_BY_PPROF
                b.warn(reason.format(n=n))
            if self.junk:
                b.warn(JUNK.format(n=self.junk))
            if self.version:
                b.go_version = f"go1.{self.version}+"
            if self.leaked:
                b.profile = "goroutineleak"
            snapshot = b.build()
            if self.runtime is not None or self.deadlock:
                rt = self.runtime.build() if self.runtime is not None else None
                snapshot = dataclasses.replace(
                    snapshot,
                    deadlock=self.deadlock,
                    runtime_groups=rt.groups if rt is not None else (),
                    runtime_total=rt.total if rt is not None else 0,
                )
            self.snapshots.append(snapshot)
        self.builder = None
        self.runtime = None
        self.deadlock = False
        self.seen = set()
        self.pending_junk = 0
        self.junk = 0
        self.version = 0
        self.leaked = False
        self.reasons = {}


# --- pure helpers ----------------------------------------------------------------------------


def _goroutine(
    header: _Header, shape: _Shape, gid: int | None = None, parent: int | None = None
) -> Goroutine:
    """The goroutine a header and a stack shape describe (``gid`` None for a batch of them)."""
    return Goroutine(
        id=gid,
        state=header.state,
        frames=shape.frames,
        wait_minutes=header.wait_minutes,
        leaked=header.leaked,
        locked_to_thread=header.locked,
        labels=header.labels,
        created_by=shape.created_by,
        parent_id=parent,
        elided_frames=shape.elided,
    )


def _find_header(rec: bytes) -> int:
    """Offset of the first line of ``rec`` that is a goroutine header, or -1."""
    at = rec.find(b"\ngoroutine ")
    while at >= 0:
        end = rec.find(b"\n", at + 1)
        line = rec[at + 1 : end if end >= 0 else len(rec)]
        m = _HEADER.fullmatch(line)
        if m is not None and _SUFFIX.fullmatch(m.group(2)):
            return at + 1
        at = rec.find(b"\ngoroutine ", at + 1)
    return -1


def _strip_prefix(text: bytes) -> bytes | None:
    """``text`` without the log prefix in front of its first goroutine header, if it has one."""
    m = _ANY_HEADER.search(text)
    if m is None:
        return None
    start = text.rfind(b"\n", 0, m.start()) + 1
    if start == m.start():
        return None
    stripped = _prefix_pattern(text[start : m.start()]).sub(b"", text)
    return stripped if stripped != text else None


def _prefix_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A pattern for a log prefix at line starts; digits may vary, trailing blanks are optional."""
    body = prefix.rstrip(b" \t")
    tail = prefix[len(body) :]
    parts = [re.escape(p) if not p.isdigit() else rb"\d+" for p in re.split(rb"(\d+)", body)]
    return re.compile(rb"^" + b"".join(parts) + b"(?:" + re.escape(tail) + rb")?", re.M)


def _parse_header(suffix: bytes) -> _Header | None:
    """The part of a goroutine header after the id: status, flags, minutes, labels."""
    m = _SUFFIX.fullmatch(suffix)
    if m is None:
        return None
    version = 22 if suffix.startswith(b"gp=") else 0
    status, labels_text = m.group(1), m.group(2)
    labels: dict[str, str] = {}
    if b" labels:{" in status:  # a Go 1.26 development form: [running labels:{"k": "v"}]
        status, _, rest = status.partition(b" labels:{")
        labels_text = rest.rstrip(b"}")
    if labels_text is not None:
        parsed = _parse_labels(labels_text)
        if parsed is None:
            return None
        labels = parsed
        version = max(version, 26)
    parts = status.split(b", ")
    reason = parts[0]
    leaked = False
    while True:
        if reason.endswith(b" (leaked)"):
            reason, leaked = reason[:-9], True
        elif reason.endswith(b" (scan)"):
            reason = reason[:-7]
        else:
            break
    if leaked:
        version = max(version, 26)
    minutes: int | None = None
    locked = False
    for part in parts[1:]:
        mm = _MINUTES.fullmatch(part)
        if mm is not None:
            minutes = int(mm.group(1))
        elif part == b"locked to thread":
            locked = True
        elif part.startswith(b"synctest bubble"):
            version = max(version, 25)
    if not reason:
        return None
    return _Header(_text_of(reason), minutes, leaked, locked, labels, version)


def _parse_labels(text: bytes) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if m is None:
            return None
        k_q, k_b, v_q, v_b = m.groups()
        key = _unquote(k_q) if k_q is not None else _text_of(k_b)
        value = _unquote(v_q) if v_q is not None else _text_of(v_b)
        labels[key] = value
        pos = m.end()
    return labels


def _unquote(s: bytes) -> str:
    """Undo the runtime's printquoted: \\n \\r \\t \\\\ \\" \\xNN \\uNNNN \\UNNNNNNNN."""

    def one(m: re.Match[bytes]) -> bytes:
        e = m.group(1)
        c = e[:1]
        if c == b"x":
            return bytes([int(e[1:], 16)])
        if c in (b"u", b"U"):
            try:
                return chr(int(e[1:], 16)).encode("utf-8", "surrogatepass")
            except (ValueError, OverflowError):
                return e
        return {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(c, c)

    return _text_of(_ESCAPE.sub(one, s))


def _text_of(b: bytes) -> str:
    return b.decode("utf-8", "replace")


_FileLine = tuple[str, int, tuple[bytes, bytes], bool]  # file, line, pattern piece, plain


def _file_line(line: bytes, cache: dict[bytes, _FileLine | None]) -> _FileLine | None:
    """Read ``\t/path/file.go:12 +0x1d``; cached, as the same lines recur across stacks."""
    if line in cache:
        return cache[line]
    fm = _FILE.fullmatch(line)
    info: _FileLine | None = None
    if fm is not None:
        rest = line[fm.end(2) :]
        piece = (line[: fm.end(2)], b"\n")
        plain = True
        if rest.startswith(b" +0x") and b" fp=" not in rest:
            piece = (piece[0], rb" \+0x[0-9a-f]+\n")
        elif rest:
            plain = False  # fp= sp= pc= noise: the fast path leaves these to the slow one
        info = (_text_of(fm.group(1)), int(fm.group(2)), piece, plain)
    if len(cache) > 100_000:
        cache.clear()
    cache[line] = info
    return info


def _parse_body(body: bytes, files: dict[bytes, _FileLine | None] | None = None) -> _Body:
    """Parse the lines after a header into a stack shape.

    Lines that fit no frame after the last complete frame are junk that followed the dump with
    no blank line (``PASS``). A stack that does not read is read again without the lines that
    cannot be part of any stack (log lines another goroutine wrote while the runtime printed
    it), which count as junk; if it still does not read, it is unreadable.
    """
    if files is None:
        files = {}
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    parsed = _parse_lines(lines, files)
    if parsed.shape is not None:
        return parsed
    kept = [line for line in lines if not _foreign(line)]
    if len(kept) == len(lines):
        return parsed
    retry = _parse_lines(kept, files)
    if retry.shape is None:
        return parsed
    # Slow path only: the fast path's patterns describe clean stacks.
    shape = dataclasses.replace(retry.shape, pattern=None)
    return _Body(shape, junk=retry.junk + len(lines) - len(kept), cut_frame=retry.cut_frame)


def _foreign(line: bytes) -> bool:
    """True for a line that no stack has: not a frame, file, ``created by`` or elision line."""
    if line.startswith((b"\t", b"created by ", _ANCESTOR)):
        return False
    return _function_name(line) is None and _ELIDED.fullmatch(line) is None


def _parse_lines(lines: list[bytes], files: dict[bytes, _FileLine | None]) -> _Body:
    """Parse the lines of a stack (see _parse_body)."""
    frames: list[Frame] = []
    created_by: Frame | None = None
    elided = 0
    version = 0
    plain = True
    unavailable = False
    pattern: list[tuple[bytes, bytes]] = []
    has_parent = False
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.startswith(b"\t"):
            if line == _UNAVAILABLE and not frames and not unavailable:
                unavailable, plain = True, False
                i += 1
                continue
            return _Body(None)  # a file line with no function line before it
        if line.startswith(_ANCESTOR):
            plain = False
            break  # the stacks of this goroutine's ancestors, not frames of it
        em = _ELIDED.fullmatch(line)
        if em is not None:
            if em.group(1) is not None:
                elided += int(em.group(1))
                version = max(version, 21)
            else:
                elided += 1  # the old form does not say how many
            pattern.append((line, b"\n"))
            i += 1
            continue
        info = _file_line(lines[i + 1], files) if i + 1 < n else None
        if info is None:
            return _trailing(frames, created_by, unavailable, elided, version, lines[i:])
        file, lineno, file_pattern, plain_file = info
        plain = plain and plain_file
        if line.startswith(b"created by "):
            cm = _CREATED.fullmatch(line)
            if cm is None or created_by is not None:
                return _Body(None)
            if cm.group(2) is not None:
                version = max(version, 21)
            created_by = Frame(_text_of(cm.group(1)), file, lineno)
            has_parent = cm.group(2) is not None
            parent = rb" in goroutine " + _ID if has_parent else b""
            pattern.append((b"created by " + cm.group(1), parent + b"\n"))
            pattern.append(file_pattern)
            i += 2
            continue
        name = _function_name(line)
        if name is None or created_by is not None:
            return _trailing(frames, created_by, unavailable, elided, version, lines[i:])
        frames.append(Frame(_text_of(name), file, lineno))
        pattern.append((name, rb"\([^\n]*\n"))
        pattern.append(file_pattern)
        i += 2
    if not frames and not unavailable:
        return _Body(None)
    source: tuple[tuple[bytes, bytes], ...] | None = None
    if plain:
        if not has_parent:
            # Every shape ends its alternative with exactly one group, the parent id: the
            # match's lastindex then says which shape matched.
            pattern.append((b"", b"()"))
        source = tuple(pattern)
    return _Body(_Shape(tuple(frames), created_by, elided, _is_system(frames), version, source))


def _regex_of(shape: _Shape) -> bytes:
    """The regex source that matches a shape's body (see _Shape.pattern)."""
    assert shape.pattern is not None
    return b"".join(re.escape(literal) + regex for literal, regex in shape.pattern)


def _function_name(line: bytes) -> bytes | None:
    """``pkg.(*T).M`` from ``pkg.(*T).M(0x1, {...})``; None if the line is no function line."""
    if not line.endswith(b")"):
        return None
    open_at = line.rfind(b"(")
    if open_at <= 0:
        return None
    name = line[:open_at]
    if b" " in name or b"\t" in name:
        return None
    return name


def _trailing(
    frames: list[Frame],
    created_by: Frame | None,
    unavailable: bool,
    elided: int,
    version: int,
    rest: list[bytes],
) -> _Body:
    """Lines after complete frames: junk that followed the stack, unless frames follow them."""
    if (not frames and not unavailable) or any(line.startswith(b"\t") for line in rest):
        return _Body(None)
    first = rest[0]
    cut = first.startswith(b"created by ") or _function_name(first) is not None
    shape = _Shape(tuple(frames), created_by, elided, _is_system(frames), version, None)
    return _Body(shape, junk=len(rest), cut_frame=cut)


def _looks_cut(body: bytes) -> bool:
    """Whether a stack that did not parse ends where a cut would leave it: after a header or a
    function line whose file line is missing."""
    last = body.rstrip(b"\n").rpartition(b"\n")[2]
    return not last or last.startswith(b"created by ") or _function_name(last) is not None


def _is_system(frames: list[Frame]) -> bool:
    """A runtime goroutine that runtime.NumGoroutine does not count (level >= 2 dumps only)."""
    if len(frames) < 2 or frames[-1].function != "runtime.goexit":
        return False
    start = frames[-2].function
    if not start.startswith("runtime.") or start in _USER_STARTERS:
        return False
    if start in _SOMETIMES_USER_STARTERS:
        return all(f.function.startswith("runtime.") for f in frames)
    return True


def _parent_of(body: bytes) -> int | None:
    at = body.rfind(b"\ncreated by ")
    if at < 0:
        at = 0 if body.startswith(b"created by ") else -1
    if at < 0:
        return None
    end = body.find(b"\n", at + 1)
    m = _CREATED.fullmatch(body[at : end if end >= 0 else len(body)].lstrip(b"\n"))
    return int(m.group(2)) if m is not None and m.group(2) is not None else None
