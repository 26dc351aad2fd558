"""Traceback text: ``debug=2``, ``runtime.Stack(buf, true)``, panics, fatal errors, SIGQUIT.

``parse(stream)`` returns one Snapshot per dump found in the stream. It reads the stream in large
chunks and never holds more than a few of them, so memory follows the number of distinct stack
shapes, not the number of goroutines.

How it stays fast whatever the stacks look like: goroutines of one stack differ only in their
id, argument values, frame registers (``fp= sp= pc=``), ``gp=`` header part, parent id and wait
minutes. The *fast path* blanks those in a whole chunk at once (or takes the minutes out, keeping
their range), splits the chunk at goroutine headers (the ids fall out of the split) and counts
identical record texts, numbered across chunks (``_Records``; one C loop in ``_scan`` where it
was built, with each new plain stack read into frames in C too). Python then works once per
distinct record of a dump (parse, group lookup), never once per goroutine: ids, parent ids and
counts go to the builder through C loops. The
*careful path* reads one record at a time and is the reference for every format detail; each
distinct stack body is parsed once, in full, by the same code for both paths. A chunk with a
record the fast path does not take as it is (junk, a preamble, a repeated id that may start a
new dump, ``goroutine 0``, a parent id that does not line up) is halved until the careful path
reads only the small piece that needs it; both paths give the same snapshots (tests check this
on every fixture and on generated dumps of any stack diversity).

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

import os
from array import array
from collections import Counter
from itertools import compress, repeat
from operator import ge, invert, is_not, not_

from goleash import collector
from goleash.dumps.ansi import strip_ansi
from goleash.dumps.builder import SnapshotBuilder
from goleash.errors import InputError
from goleash.model import Frame, Goroutine, Snapshot
from goleash.records import NamedTuple

# typing costs start-up time; the annotations only need it when mypy reads them
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Sequence
    from typing import Any, BinaryIO, Literal

    from goleash.dumps.background import Helper, Job

FIRST_CHUNK = 1 << 20
CHUNK = 4 << 20
MAX_LINE = 16 << 20  # a "line" longer than this is binary junk
MIN_SPLIT = 32 << 10  # a chunk the fast path refuses is halved down to this size
MAX_CACHE = 32 << 20  # bytes of distinct stack texts kept with their careful parse
MAX_RECORDS = 100_000  # distinct records kept with their parse before they are forgotten
MAX_FRAMES = 65536  # distinct line pairs (Python path) or names (C path) kept with their object
SEEN_IDS = 65536

CUT_WARNING = "the input ends inside a goroutine"
TRUNCATED = CUT_WARNING + ": the dump was cut short"
# runtime/pprof stops growing its debug=2 buffer at 64 MB: a cut there is pprof's, not the file's.
PPROF_CUT = 64 << 20
TRUNCATED_BY_PPROF = CUT_WARNING + ": pprof cuts debug=2 output at 64 MB"
UNREADABLE = "could not read the stack of {n} goroutine(s)"
DEADLOCK = b"fatal error: all goroutines are asleep - deadlock!"
JUNK = "skipped {n} line(s) in or between goroutines that are no part of a traceback"


class _Lazy:
    """A pattern compiled on first use: most dumps never need the careful path's patterns, and
    compiling one costs start-up time that a small dump notices."""

    __slots__ = ("_compiled", "_flags", "_text")

    def __init__(self, text: bytes, flags: int = 0) -> None:
        self._text = text
        self._flags = flags
        self._compiled: re.Pattern[bytes] | None = None

    @property
    def compiled(self) -> re.Pattern[bytes]:
        if self._compiled is None:
            import re  # here: a small dump never needs it, and importing it costs start-up time

            self._compiled = re.compile(self._text, self._flags)
        return self._compiled


# Goroutine ids are uint64; a longer number is no id and its record reads as unparsed.
_ID = rb"(\d{1,19})"
_HEADER = _Lazy(rb"goroutine " + _ID + rb" ([^\n]*)")
_HEADER_START = _Lazy(rb"goroutine \d+ (?:gp=|\[)")  # a record, even if cut short
# What follows a header's id, as _suffix_parts reads it (the reference its tests compare with):
# rb"(?:gp=(?:0x[0-9a-f]+|nil) m=(?:\d+ mp=0x[0-9a-f]+|nil) )?\[([^\]\n]*)\](?: \{([^\n]*)\})?:"
# Labels and their escapes, as _parse_labels and _unquote read them (the references their tests
# compare with): rb'(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9./_]+)): (?:"((?:[^"\\]|\\.)*)"|'
# rb'([A-Za-z0-9./_]*))(?:, |\Z)' from each label's start, and
# rb"(?s)\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)" for each escape.
_FILE = _Lazy(rb"\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?")
_HEX = b"0123456789abcdef"
_ELIDED = _Lazy(rb"\.\.\.(?:(\d+) frames|additional frames) elided\.\.\.")
# Greedy: a name has no blanks, so it ends at the first one either way (lazy costs ~20x more).
_CREATED = _Lazy(rb"created by (\S+)(?: in goroutine " + _ID + rb")?")
_ANCESTOR = b"[originating from goroutine "
_UNAVAILABLE = b"\tgoroutine running on other thread; stack unavailable"
_ARGS = _Lazy(rb"(?m)\([^()\n]*\)$")
_PARENT = _Lazy(rb"(?m) in goroutine \d+$")
# The fast path's whole-chunk forms of the same (a literal first byte keeps the scans fast).
_ARGS_LINE = _Lazy(rb"\([^()\n]*\)\n")
_REGISTERS = _Lazy(rb" fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+\n")
_PARENT_LINE = _Lazy(rb" in goroutine " + _ID + rb"\n")
_PARENT_MARK = b" in goroutine 1\n"
# A header line (as _HEADER and _SUFFIX read it), split off with its id and gp= part.
_SPLIT = _Lazy(
    rb"\ngoroutine " + _ID + rb" (gp=(?:0x[0-9a-f]+|nil) m=(?:\d+ mp=0x[0-9a-f]+|nil) )?"
    rb"(?=\[[^\]\n]*\](?: \{[^\n]*\})?:\n)"
)
# A goroutine header anywhere in a line, to find log prefixes in front of it, as _any_header
# reads it (the reference its tests compare with):
# rb"goroutine \d+ (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[[^\n]*\][^\n]*:\r?\n"
_SPACES = _Lazy(rb"(?m)^ +(?=\S)")

# Text around dumps that needs no warning. Preambles also start a new dump.
_PREAMBLE = _Lazy(
    rb"(?:panic: |fatal error: |SIG[A-Z]+: |unexpected fault address|runtime: |\[signal )"
)
_QUIET = _Lazy(
    rb"(?:runtime stack:|\[originating from|exit status \d|FAIL|PASS|ok |--- |=== |"
    rb"[a-z][a-z0-9]{1,6} +0x[0-9a-f]+$|PC=|created by |\t|goroutine \d+ )"
)

_USER_STARTERS = ("runtime.main", "runtime.corostart", "runtime.handleAsyncEvent")
_SOMETIMES_USER_STARTERS = ("runtime.runFinalizers", "runtime.runfinq", "runtime.runCleanups")


class _Header(NamedTuple):
    state: str
    wait_minutes: int | None
    leaked: bool
    locked: bool
    labels: dict[str, str]
    version: int  # minor version this header proves, 0 if none


class _Body(NamedTuple):
    shape: _Shape | None  # None: unreadable
    junk: int = 0  # lines after the last frame that are no part of the stack
    cut_frame: bool = False  # the stack ends with a frame line whose file line is missing


class _Shape(NamedTuple):
    frames: tuple[Frame, ...]
    created_by: Frame | None
    elided: int
    system: bool
    version: int


class _Stack(NamedTuple):
    """A distinct stack as the fast path reads it (arguments and parent id blanked)."""

    shape: _Shape
    parented: bool  # its parent id was blanked: one per record, in order
    group: int  # the same number for every stack with the same frames and creator


# What count_chunk returns: the text before the first header; each goroutine's id; the distinct
# record texts (wait minutes taken out), how many goroutines have each and the range of the
# minutes taken out (None: none), each goroutine's record (an index into them), whether
# any goroutine of each had a gp= part; the parent ids blanked, in order.
_Counted = tuple[
    bytes,
    "array[int]",
    list[bytes],
    list[int],
    "list[tuple[int, int] | None]",
    "array[int]",
    list[bool],
    "array[int]",
]


# What _split_members returns: ids, slots, parents and parent slots for each builder.
_Members = tuple[
    "array[int]",
    "array[int]",
    "array[int]",
    "array[int]",
    "array[int]",
    "array[int]",
    "array[int]",
    "array[int]",
]

# What _Records.count returns (see there).
_Read = tuple[
    bytes,
    "array[int]",
    list[bytes],
    "array[int]",
    list[int],
    list[int],
    list[bool],
    "array[int]",
    bool,
]


class _Creator(NamedTuple):
    """A ``created by`` line pair as the fast path caches it."""

    frame: Frame
    version: int


_TYPES = (Frame, _Shape, _Stack)  # what _scan.read_stack makes
_NO_HEADER = _Header("", None, False, False, {}, 0)


def parse(stream: BinaryIO, *, source: str = "", fast: bool = True) -> list[Snapshot]:
    """Read traceback text from ``stream``: one Snapshot per dump found in it.

    ``fast=False`` reads every record with the careful path, the reference the fast path is
    tested against (same snapshots, many times slower). Raises InputError when the stream
    holds no goroutine at all, or cannot be read.
    """
    with collector.paused():  # many small objects, no reference cycles
        return _Parser(source, fast).run(stream)


class _Parser:
    def __init__(self, source: str, fast: bool = True) -> None:
        self.source = source
        self.snapshots: list[Snapshot] = []
        self.builder: SnapshotBuilder | None = None
        # Runtime system goroutines and g0 stacks of the current dump, counted apart.
        self.runtime: SnapshotBuilder | None = None
        self.deadlock = False  # the current dump follows "all goroutines are asleep"
        self.pending_junk = 0
        self.junk = 0
        self.version = 0
        self.leaked = False
        self.headers: dict[bytes, _Header | None] = {}
        self.bodies: dict[bytes, _Body] = {}
        self.body_bytes = 0
        self.file_lines: _Lines = {}
        self.reasons: dict[str, int] = {}  # why goroutines went unparsed, and how many
        self.fast_enabled = fast
        # The fast path's caches: (function line, file line) -> frame, and -> creator; (frames,
        # creator) -> number (never cleared: it grows with distinct stacks only); (state, that
        # number) -> group slot in the dump being read.
        self.frames: dict[tuple[bytes, bytes], Frame] = {}
        self.creators: dict[tuple[bytes, bytes], _Creator] = {}
        # The names _scan.read_stack's frames share. The seed of its hash table and of the
        # records' is secret: texts crafted to collide cannot be written in advance.
        seed = int.from_bytes(os.urandom(8), "little")
        self.names: TextCache | None = None
        if read_stack is not None:
            self.names = TextCache(seed, MAX_FRAMES)
        self.idents: dict[tuple[tuple[Frame, ...], Frame | None], int] = {}
        self.groups: dict[tuple[str, int], int] = {}
        # Per dump: its distinct records (their counts wait there until _flush), and by record
        # number: the group slot, the header and stack, whether it names a parent.
        self.records = Records(seed, SEEN_IDS)  # it also keeps the ids seen in the dump
        self.record_slot = array("i")
        self.record_facts: list[tuple[_Header, _Stack]] = []
        self.record_parented = array("B")
        self.counted = False  # the records hold counts not flushed yet
        self.waiting: tuple[bytes, int, int, Job | None] | None = None  # see _block
        self.helper: Helper | None = None  # the thread that scans blocks ahead (see _block)
        self.prefix: re.Pattern[bytes] | None = None
        self.found_any = False
        self.bytes_read = 0

    # --- reading -----------------------------------------------------------------------------

    def run(self, stream: BinaryIO) -> list[Snapshot]:
        try:
            self._read(stream)
        finally:
            if self.helper is not None:
                self.helper.close()
                self.helper = None
        self._finish_dump()
        if not self.found_any:
            raise InputError(f"no goroutine traceback found in {self.source or 'the input'}")
        return self.snapshots

    def _read(self, stream: BinaryIO) -> None:
        raw_carry = b""  # a partial line, not yet normalised (only when normalising)
        carry = b""  # a partial record
        size = FIRST_CHUNK
        while True:
            try:
                data = stream.read(size)
            except OSError as e:
                raise InputError(f"cannot read {self.source or 'the input'}: {e}") from e
            if size == FIRST_CHUNK and len(data) == size:
                _keep_blocks_on_the_heap()  # more blocks to come
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
                self._drain()
                self._last(text[end:])
                break
            if end == 0 and len(text) < MAX_LINE:
                carry = text
                continue
            end = end or len(text)
            carry = text[end:]
            self._block(text, end)

    def _last(self, tail: bytes) -> None:
        """The text after the last blank line: most often the last record, which dumps end with
        a single newline. Read by the fast path when it ends with a newline and every record in
        it is clean (as if a blank line followed: nothing is cut then); else by the careful path,
        which tells a record cut short at the end of the input from an unreadable one."""
        if not (
            self.fast_enabled
            and tail.endswith(b"\n")
            and tail.strip()
            and self._fast(memoryview(tail + b"\n"))
        ):
            self._slow(tail, final=True)

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
        found = _any_header(data)
        if found is None:
            return self.prefix is not None
        header, line_end = found
        start = data.rfind(b"\n", 0, header) + 1
        if start != header:
            self.prefix = _prefix_pattern(data[start:header])
            return True
        self.prefix = None
        nl = data.find(b"\n", line_end)
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
            text = _SPACES.compiled.sub(b"\t", text)
        return text

    # --- chunks ------------------------------------------------------------------------------

    def _block(self, text: bytes, end: int) -> None:
        """Parse the whole records in ``text[:end]`` (``end`` is just past a blank line).

        Blocks are read one behind: while Python reads the block before, the helper thread
        scans this one in C (Records.scan runs without the GIL, and matches the block's records
        to those kept), so the two cores share the work.
        """
        before, self.waiting = self.waiting, None
        if end:
            scan = None
            # A thread only when Python has a block to read meanwhile: a dump of one block
            # (most small ones) starts none.
            if before is not None and self.fast_enabled and SCANS_WITHOUT_GIL:
                if self.helper is None:
                    from goleash.dumps.background import Helper

                    self.helper = Helper()
                scan = self.helper.submit(self.records.scan, memoryview(text)[:end])
            self.waiting = (text, 0, end, scan)
        if before is not None:
            self._chunk(*before)

    def _drain(self) -> None:
        """Read the block still waiting (see _block)."""
        before, self.waiting = self.waiting, None
        if before is not None:
            self._chunk(*before)

    def _chunk(self, text: bytes, start: int, end: int, scan: Job | None = None) -> None:
        """The fast path for ``text[start:end]`` if every record in it is clean; else the
        halves, down to pieces small enough that the careful path reading them costs little.
        ``scan``: the chunk's scan, made in a thread."""
        if not self.fast_enabled:
            self._slow(text[start:end])
            return
        view = memoryview(text)[start:end]  # a view: the chunk is not copied
        if self._fast(view if scan is None else scan.result()):
            return
        if end - start > MIN_SPLIT:
            mid = text.find(b"\n\n", start + (end - start) // 2, end)
            if 0 <= mid < end - 2:
                self._chunk(text, start, mid + 2)
                self._chunk(text, mid + 2, end)
                return
        self._slow(text[start:end])

    def _fast(self, text: memoryview | Any) -> bool:
        """Read every record of ``text`` with whole-chunk operations; False, with nothing
        changed, when a record needs the careful path.

        Argument values, frame registers and parent ids are blanked in the whole chunk at
        once, the chunk is split at goroutine headers (the ids and ``gp=`` parts fall out of
        the split) and identical record texts are counted and numbered, across chunks, in
        the records (see _Records): Python works once per distinct record of a dump, never
        once per goroutine.
        """
        records = self.records
        counted = records.count(text)
        if counted is None:
            return False  # texts that collide in the records' hash table: the careful path
        before, ids, new_texts, index, present, counts, gp, parents, fresh = counted
        if before.strip(b"\n"):
            return False  # text before the first header: preambles and junk need care
        if not present:
            return False
        if not fresh:
            return False  # g0 stacks, or a repeated id that may start a new dump
        new = self._resolve(new_texts)
        if new is None:
            return False
        # For a clean record, a blanked parent id means exactly one parent, in order.
        parented = self.record_parented + array("B", [stack.parented for _, stack in new])
        if sum(compress(counts, map(parented.__getitem__, present))) != len(parents):
            return False
        # Every record is clean: keep them. Counts wait in the records until the end of the
        # dump (see _flush), so Python works once per distinct record of a dump.
        records.commit()
        self.counted = self.found_any = True
        self._add_records(new)
        self.record_parented = parented
        record_slot = self.record_slot
        chunk_slots = list(map(record_slot.__getitem__, present))
        if max(chunk_slots) >= 0:  # a user goroutine: junk before it was between goroutines
            self._commit_junk()
        if any(gp) and max(compress(chunk_slots, gp)) >= 0:
            self.version = max(self.version, 22)  # gp= in a user goroutine's header: Go 1.22+
        members = split_members(index, record_slot, parented, ids, parents)
        if len(records) > MAX_RECORDS:  # memory follows distinct records, not goroutines
            self._flush()
            self._forget_records()
        self._builder().members_of_groups(*members[:4])
        if min(chunk_slots) < 0:  # runtime goroutines too (g0 aside)
            self._runtime_builder().members_of_groups(*members[4:])
        return True

    def _resolve(self, keys: list[bytes]) -> list[tuple[_Header, _Stack]] | None:
        """The header and stack of each record text; None if one needs the careful path (see
        _stack). Headers are cached: the same ones recur. Stacks are read again for each new
        record (cheap: their line pairs are cached), not kept by their text."""
        out = []
        headers = self.headers
        for key in keys:
            end = key.find(b"\n")
            suffix = key if end < 0 else key[:end]
            header = headers.get(suffix, _NO_HEADER)
            if header is _NO_HEADER:
                if len(headers) > 50_000:  # unique labels per goroutine: keep memory flat
                    headers.clear()
                header = headers[suffix] = _parse_header(suffix)
            if header is None:
                return None
            stack = self._stack(key, len(key) if end < 0 else end + 1)
            if stack is None:
                return None
            out.append((header, stack))
        return out

    def _add_records(self, new: list[tuple[_Header, _Stack]]) -> None:
        """The group slot of each record first seen in this dump, and what their headers note
        (record_parented is the caller's)."""
        groups, record_slot = self.groups, self.record_slot
        version, leaked = self.version, self.leaked
        for header, stack in new:
            slot = groups.get((header.state, stack.group))
            if slot is None:
                slot = self._slot(header, stack)
            record_slot.append(slot)
            if slot >= 0:
                version = max(version, header.version, stack.shape.version)
                leaked = leaked or header.leaked
        self.record_facts += new
        self.version, self.leaked = version, leaked

    def _flush(self) -> None:
        """Add the counts of the records the fast path read since the last flush."""
        record_slot, record_facts = self.record_slot, self.record_facts
        user = self._builder().count_into
        for record, n, wait in self.records.take():
            slot = record_slot[record]
            header, stack = record_facts[record]
            # Minutes taken out of the record have their range; others are in the header.
            low, high = (header.wait_minutes, header.wait_minutes) if wait is None else wait
            count_into = user if slot >= 0 else self._runtime_builder().count_into
            count_into(
                slot if slot >= 0 else ~slot,
                n,
                low,
                header.leaked,
                header.locked,
                header.labels,
                stack.shape.elided,
                high,
            )
        self.counted = False

    def _forget_records(self) -> None:
        self.records.clear()
        self.record_slot = array("i")
        self.record_facts = []
        self.record_parented = array("B")

    def _slot(self, header: _Header, stack: _Stack) -> int:
        """The group of a state and stack in the dump being read: its index in the user
        builder, or ``-1 - index`` in the runtime builder."""
        shape = stack.shape
        facts = (header.state, shape.frames, shape.created_by, header.labels)
        if shape.system:
            slot = ~self._runtime_builder().group_of(*facts)
        else:
            slot = self._builder().group_of(*facts)
        self.groups[(header.state, stack.group)] = slot
        return slot

    def _stack(self, record: bytes, start: int = 0) -> _Stack | None:
        """The stack of ``record[start:]`` as the fast path cut it (arguments and parent
        blanked, a newline at the end unless no blank line followed it); None if it needs the
        careful path: unreadable, junk lines, a blank line inside, or a blanked parent id
        anywhere but in its ``created by`` line."""
        if self.names is not None:
            # The plain stacks most dumps are made of, read in C all the way to their _Stack
            # as the lines below read them; False for any other stack.
            read: _Stack | Literal[False] | None = read_stack(
                record, start, self.names, _TYPES, self.idents, _is_system
            )
            if read is not False:
                return read
        body = record[start:] if start else record
        lines = body.split(b"\n")
        if not lines[-1]:
            lines.pop()  # the newline of the blank line after the stack
        if b"" in lines:
            return None
        shape = self._plain_shape(lines)
        if shape is not None:
            parented = shape.version >= 21  # read from its creator: the parent id is printed
        else:
            parsed = self._body(body, body)
            shape = parsed.shape
            if shape is None or parsed.junk or parsed.cut_frame:
                return None
            parented = shape.created_by is not None and _parent_of(body) is not None
        if body.count(_PARENT_MARK) != parented:
            return None
        idents = self.idents
        group = idents.setdefault((shape.frames, shape.created_by), len(idents))
        return _Stack(shape, parented, group)

    def _plain_shape(self, lines: list[bytes]) -> _Shape | None:
        """The shape of a stack of (function, file) line pairs and perhaps a ``created by``
        pair, as most stacks are, read pair by pair as _parse_lines reads them but through
        caches of the pairs seen before; None for any other stack, which _parse_body reads."""
        if not lines or len(lines) % 2:
            return None
        calls, places = lines[0::2], lines[1::2]
        created_by: Frame | None = None
        version = 0
        if calls[-1].startswith(b"created by "):
            pair = (calls.pop(), places.pop())
            creator = self.creators.get(pair)
            if creator is None:
                creator = _creator_of(*pair, self.file_lines)
                if creator is None:
                    return None
                if len(self.creators) > MAX_FRAMES:  # keep memory flat
                    self.creators.clear()
                self.creators[pair] = creator
            created_by, version = creator
            if not calls:
                return None
        known = self.frames
        frames = list(map(known.get, zip(calls, places, strict=True)))
        if None in frames:
            # What _function_name reads, for calls with their arguments blanked; any other line
            # (a creator before the last pair, an elision, junk, unblanked arguments) sends the
            # stack to _parse_body. Blanks are looked for once per stack (no frame read before
            # has one), with find: `in` on bytes tries the operand as an int first and raises.
            text = b"\n".join(calls)
            if text.find(b" ") >= 0 or text.find(b"\t") >= 0:
                return None
            if len(known) > MAX_FRAMES:  # keep memory flat
                known.clear()
            files = self.file_lines
            for i, frame in enumerate(frames):
                if frame is None:
                    call, place = calls[i], places[i]
                    where = _file_line(place, files)
                    if (
                        where is None
                        or not call.endswith(b"()")
                        or len(call) < 3
                        or call.startswith(b"...")
                    ):
                        return None
                    frames[i] = known[call, place] = Frame(
                        call[:-2].decode("utf-8", "replace"), *where
                    )
        return _Shape(tuple(frames), created_by, 0, _is_system(frames), version)  # type: ignore[arg-type]

    def _body(self, key: bytes, body: bytes) -> _Body:
        """The parsed stack of ``body``, cached under its ``key`` (arguments and parent blanked)."""
        parsed = self.bodies.get(key)
        if parsed is None:
            parsed = _parse_body(body, self.file_lines)
            self.body_bytes += len(key)
            if self.body_bytes > MAX_CACHE:  # many distinct stacks: keep memory flat
                self.bodies.clear()
                self.body_bytes = len(key)
            self.bodies[key] = parsed
        return parsed

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
        if _HEADER_START.compiled.match(rec) is None:
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
        m = _HEADER.compiled.fullmatch(head)
        if m is None or truncated:
            self._unparsed(TRUNCATED if truncated else UNREADABLE)
            return
        gid = int(m.group(1))
        if gid != 0 and self.records.saw(gid):
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
        # Parent ids blanked, not removed: whether a stack names its parent is part of what it
        # says (the Go version, for one).
        blanked = _PARENT.compiled.sub(_PARENT_MARK[:-1], _ARGS.compiled.sub(b"()", body))
        parsed = self._body(blanked, body)
        shape = parsed.shape
        if shape is None:
            self._unparsed(TRUNCATED if at_eof and _looks_cut(body) else UNREADABLE)
            return
        if at_eof and parsed.cut_frame:
            self._unparsed(TRUNCATED)
            return
        parent = _parent_of(body) if shape.created_by is not None else None
        if gid != 0:
            self.records.see(gid)
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
            if _PREAMBLE.compiled.match(line):
                if self._has_goroutines():
                    self._finish_dump()
                if line.startswith(DEADLOCK):
                    self.deadlock = True
                continue
            if _QUIET.compiled.match(line):
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
        if self.counted:
            return True
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

    def _finish_dump(self) -> None:
        self._flush()
        self._forget_records()
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
                snapshot = snapshot._replace(
                    deadlock=self.deadlock,
                    runtime_groups=rt.groups if rt is not None else (),
                    runtime_total=rt.total if rt is not None else 0,
                )
            self.snapshots.append(snapshot)
        self.builder = None
        self.runtime = None
        self.groups = {}
        self.deadlock = False
        self.records.forget_ids()
        self.pending_junk = 0
        self.junk = 0
        self.version = 0
        self.leaked = False
        self.reasons = {}


def _keep_blocks_on_the_heap() -> None:
    """Free one untouched block larger than any block read will be.

    glibc serves an allocation at least as large as the largest block freed so far with a
    fresh mapping, and returns it to the system when freed: every block read, joined to its
    carry or blanked, then paid a page fault for each of its 4 KiB pages (~40 % of the system
    time of reading a big dump). Once a larger block was freed, blocks come from the heap and
    its pages are used again. ``bytes(n)`` is calloc'd: no page of it is ever touched.
    """
    bytes(2 * CHUNK)


def split_chunk(text: bytes | memoryview) -> tuple[list[bytes | Any], list[bytes]]:
    """Argument values, frame registers and parent ids blanked, then the text split at
    goroutine headers: ``[before, id, gp= part or None, record, id, …]``, and the parent ids
    in order."""
    t = b"()\n".join(_ARGS_LINE.compiled.split(text))  # split and join: faster than sub
    if t.find(b" fp=0x", 0, 1 << 16) >= 0:  # GOTRACEBACK=system: registers on every frame
        t = _REGISTERS.compiled.sub(b"\n", t)
    cut = _PARENT_LINE.compiled.split(t)  # [text, parent id, text, parent id, …, text]
    parents = cut[1::2]
    # A newline in front, so the first header splits like the others, and one less at the
    # end, so every record ends alike (edited in the small end pieces, not the whole text).
    if parents:
        cut[0] = b"\n" + cut[0]
        cut[-1] = cut[-1][:-1]
        t = _PARENT_MARK.join(cut[0::2])
    else:
        t = b"\n" + t[:-1]
    del cut
    return _SPLIT.compiled.split(t), parents


def count_chunk(text: bytes | memoryview) -> _Counted:
    """The fast path's whole-chunk pass: the chunk split as split_chunk splits it, wait minutes
    taken out of the records, identical records counted. ``_scan.Records`` (C) does the same
    in one loop; this is the reference and the fallback where it could not be built."""
    pieces, parents = split_chunk(text)
    records = pieces[3::3]  # each record from its header after the id: state, labels, stack
    # Python looks only at the records that say " minute" somewhere (C loops find them).
    minutes: list[int | None] = [None] * len(records)
    for i in compress(range(len(records)), map(bytes.__contains__, records, repeat(b" minute"))):
        records[i], minutes[i] = _without_minutes(records[i])
    counts = Counter(records)
    keys = list(counts)
    number = {key: i for i, key in enumerate(keys)}
    index = array("I", map(number.__getitem__, records))
    waits: list[tuple[int, int] | None] = [None] * len(keys)
    for i, wait in compress(zip(index, minutes, strict=True), map(is_not, minutes, repeat(None))):
        if wait is not None:  # compress left none of these
            known = waits[i]
            waits[i] = (wait, wait) if known is None else (min(known[0], wait), max(known[1], wait))
    gp = [False] * len(keys)
    for i in compress(index, pieces[2::3]):
        gp[i] = True
    ids = array("Q", map(int, pieces[1::3]))
    parent_ids = array("Q", map(int, parents))
    return pieces[0], ids, keys, list(counts.values()), waits, index, gp, parent_ids


def _without_minutes(record: bytes) -> tuple[bytes, int | None]:
    """The record without the ``, N minutes`` parts of its header's status (after the first
    part), and the minutes the header says (its last such part); the record as it is and None
    when it has no such part or one with more than 18 digits."""
    close = record.find(b"]")
    parts = record[1:close].split(b", ")
    kept = parts[:1]
    minutes = None
    for part in parts[1:]:
        digits = _minutes_of(part)
        if digits is None:
            kept.append(part)
        elif len(digits) > 18:
            return record, None
        else:
            minutes = int(digits)
    if minutes is None:
        return record, None
    return b"[" + b", ".join(kept) + record[close:], minutes


class _Records:
    """The distinct record texts of the dump being read, numbered in the order first seen and
    kept across chunks (``_scan.Records`` does the same in C where it was built).

    ``count(text)`` reads a chunk as count_chunk does and returns ``(before, ids, new_texts,
    index, present, counts, gp, parents, fresh)``: the records first seen in it (numbered on
    from ``len(self)``), each goroutine's record number, the records present in the chunk with
    how many goroutines each and whether any had a gp= part; ``fresh`` when no id is 0, none
    comes twice and none was seen before in the dump. It is tentative until ``commit()``: the
    next ``count()`` forgets an uncommitted one; a committed one's ids are seen from then on
    (the first ``seen_ids`` of the dump: ``saw``, ``see``, ``forget_ids`` when a dump begins).
    ``take()`` returns the committed counts not taken yet, ``(record, count, range of minutes
    or None)``, and resets them.
    """

    def __init__(self, seed: int = 0, seen_ids: int = 65536) -> None:
        # (the seed is the C hash table's, unused here)
        self._seen: set[int] = set()
        self._seen_cap = seen_ids
        self._last_ids: array[int] = array("Q")
        self._numbers: dict[bytes, int] = {}  # record text -> its number
        self._committed = 0
        self._counts: list[int] = []  # by record number: goroutines counted, not taken yet
        self._waits: list[tuple[int, int] | None] = []  # and the range of their minutes
        self._chunk: list[tuple[int, int, tuple[int, int] | None]] = []  # the last count()

    def __len__(self) -> int:
        return self._committed

    def scan(self, text: bytes | memoryview) -> bytes:
        """The chunk as count() takes it (the C records scan it here, without the GIL)."""
        return bytes(text)

    def count(self, text: bytes | memoryview) -> _Read | None:
        self._forget_uncommitted()
        before, ids, keys, counts, waits, chunk_index, gp, parents = count_chunk(text)
        numbers = self._numbers
        made = [key for key in keys if key not in numbers]
        for key in made:
            numbers[key] = len(numbers)
        present = [numbers[key] for key in keys]
        index = array("I", map(present.__getitem__, chunk_index))
        self._chunk = list(zip(present, counts, waits, strict=True))
        fresh = 0 not in ids and len(set(ids)) == len(ids) and self._seen.isdisjoint(ids)
        self._last_ids = ids
        return before, ids, made, index, present, counts, gp, parents, fresh

    def commit(self) -> None:
        grow = len(self._numbers) - len(self._counts)
        self._counts += [0] * grow
        self._waits += [None] * grow
        for record, n, wait in self._chunk:
            self._counts[record] += n
            known = self._waits[record]
            if wait is not None and known is not None:
                wait = (min(known[0], wait[0]), max(known[1], wait[1]))
            self._waits[record] = wait or known
        self._chunk = []
        self._committed = len(self._numbers)
        room = self._seen_cap - len(self._seen)
        if room > 0:
            self._seen.update(self._last_ids[:room])
        self._last_ids = array("Q")

    def saw(self, gid: int) -> bool:
        return gid in self._seen

    def see(self, gid: int) -> None:
        if len(self._seen) < self._seen_cap:
            self._seen.add(gid)

    def forget_ids(self) -> None:
        self._seen = set()

    def take(self) -> list[tuple[int, int, tuple[int, int] | None]]:
        taken = [(record, n, self._waits[record]) for record, n in enumerate(self._counts) if n]
        self._counts = [0] * len(self._counts)
        self._waits = [None] * len(self._waits)
        return taken

    def clear(self) -> None:
        self._numbers, self._committed, self._counts, self._waits, self._chunk = {}, 0, [], [], []

    def _forget_uncommitted(self) -> None:
        self._chunk = []
        self._last_ids = array("Q")
        if len(self._numbers) > self._committed:
            kept = list(self._numbers.items())[: self._committed]
            self._numbers = dict(kept)


def _split_members(
    index: array[int],
    record_slots: array[int],
    parented: array[int],
    ids: array[int],
    parents: array[int],
) -> _Members:
    """Each goroutine of a chunk (its record number in ``index``, its id in ``ids``) with the
    group slot of its record, and each parent in ``parents`` (one per goroutine whose record is
    ``parented``, in order) with its child's slot: ``(ids, slots, parents, parent slots)`` for
    the user builder, then the same for the runtime one, whose slot ``s`` is written ``~s``.
    ``_scan.split_members`` does the same in C where it was built."""
    slots = list(map(record_slots.__getitem__, index))
    parent_slots = list(compress(slots, map(parented.__getitem__, index)))
    if len(parent_slots) != len(parents):
        raise ValueError("as many parented goroutines as parents are expected")
    user = list(map(ge, slots, repeat(0)))
    puser = list(map(ge, parent_slots, repeat(0)))
    runtime, pruntime = list(map(not_, user)), list(map(not_, puser))
    return (
        array("Q", compress(ids, user)),
        array("I", compress(slots, user)),
        array("Q", compress(parents, puser)),
        array("I", compress(parent_slots, puser)),
        array("Q", compress(ids, runtime)),
        array("I", map(invert, compress(slots, runtime))),
        array("Q", compress(parents, pruntime)),
        array("I", map(invert, compress(parent_slots, pruntime))),
    )


try:
    from goleash.dumps._scan import Records
except ImportError:  # no C compiler where goleash was installed: the same, slower
    Records = _Records  # type: ignore[assignment,misc]
    SCANS_WITHOUT_GIL = False
else:
    SCANS_WITHOUT_GIL = True  # a thread scanning the next block runs beside Python

# The plain stacks _Parser._plain_shape reads, read in C (None where it could not be built);
# it declines whatever it does not read as _plain_shape would, and _plain_shape reads that.
try:
    from goleash.dumps._scan import TextCache, read_stack
except ImportError:
    read_stack = None  # type: ignore[assignment]  # the module is optional

try:
    from goleash.dumps._scan import split_members
except ImportError:
    split_members = _split_members


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
        m = _HEADER.compiled.fullmatch(line)
        if m is not None and _suffix_parts(m.group(2)) is not None:
            return at + 1
        at = rec.find(b"\ngoroutine ", at + 1)
    return -1


def _strip_prefix(text: bytes) -> bytes | None:
    """``text`` without the log prefix in front of its first goroutine header, if it has one."""
    found = _any_header(text)
    if found is None:
        return None
    header = found[0]
    start = text.rfind(b"\n", 0, header) + 1
    if start == header:
        return None
    stripped = _prefix_pattern(text[start:header]).sub(b"", text)
    return stripped if stripped != text else None


def _prefix_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A pattern for a log prefix at line starts; digits may vary, trailing blanks are optional."""
    body = prefix.rstrip(b" \t")
    tail = prefix[len(body) :]
    import re

    parts = [re.escape(p) if not p.isdigit() else rb"\d+" for p in re.split(rb"(\d+)", body)]
    return re.compile(rb"^" + b"".join(parts) + b"(?:" + re.escape(tail) + rb")?", re.M)


def _is_hex(text: bytes) -> bool:
    return bool(text) and not text.strip(_HEX)


def _is_token(text: bytes) -> bool:
    """One or more bytes, none of them blank (what ``\\S+`` matches)."""
    return text.split() == [text]


def _suffix_parts(suffix: bytes) -> tuple[bytes, bytes | None] | None:
    """The status and the labels text (None when there are none) of what follows a header's
    id: ``[status]:`` or ``[status] {labels}:``, perhaps after ``gp=0x… m=N mp=0x… `` or
    ``gp=… m=nil ``; None for anything else. Read by hand: a small dump then never imports
    ``re``."""
    rest = suffix
    if rest.startswith(b"gp="):
        gp, _, rest = rest[3:].partition(b" m=")
        if gp != b"nil" and not (gp.startswith(b"0x") and _is_hex(gp[2:])):
            return None
        if rest.startswith(b"nil "):
            rest = rest[4:]
        else:
            m, _, rest = rest.partition(b" mp=0x")
            mp, space, rest = rest.partition(b" ")
            if not (m.isdigit() and _is_hex(mp) and space):
                return None
    if not rest.startswith(b"["):
        return None
    status, close, after = rest[1:].partition(b"]")
    if not close or b"\n" in status:
        return None
    if after == b":":
        return status, None
    if len(after) >= 4 and after.startswith(b" {") and after.endswith(b"}:"):
        return (status, after[2:-2]) if b"\n" not in after else None
    return None


def _any_header(data: bytes) -> tuple[int, int] | None:
    """Where the first goroutine header is in ``data``, anywhere in a line (a log prefix may
    come first): its start and the end of its line, past the newline; None if there is none.

    Linear in ``data`` whatever it holds: the end of a line, its colon and its last ``]`` are
    looked up once for all the ``goroutine `` words on it.
    """
    line_end = last_close = -1  # of the line the last candidate was on
    at = data.find(b"goroutine ")
    while at >= 0:
        if at > line_end:
            line_end = data.find(b"\n", at)
            if line_end < 0:
                return None  # a header ends with a newline
            # The line ends with a colon, perhaps before a CR, and a "]" comes before it.
            colon = line_end - 2 if data.endswith(b":\r", 0, line_end) else line_end - 1
            last_close = data.rfind(b"]", at, colon) if data[colon] == 58 else -1  # 58: ":"
        bracket = _bracket_after_id(data, at + 10, line_end)
        if 0 <= bracket < last_close:
            return at, line_end + 1
        at = data.find(b"goroutine ", at + 1)
    return None


def _bracket_after_id(data: bytes, pos: int, end: int) -> int:
    """Where ``[`` opens in a header line after ``goroutine ``: past an id and a space, then
    perhaps ``gp=… m=… `` and ``mp=… `` (each one or more non-blank bytes); -1 if the line
    from ``pos`` to ``end`` does not read so."""
    space = data.find(b" ", pos, end)
    if space <= pos or not data[pos:space].isdigit():
        return -1
    pos = space + 1
    if data.startswith(b"gp=", pos):
        for name in (b"gp=", b"m="):
            space = data.find(b" ", pos, end)
            token = data[pos:space] if space >= 0 else b""
            if not (token.startswith(name) and len(token) > len(name) and _is_token(token)):
                return -1
            pos = space + 1
        if data.startswith(b"mp=", pos):
            space = data.find(b" ", pos, end)
            token = data[pos:space] if space >= 0 else b""
            if not (len(token) > 3 and _is_token(token)):
                return -1
            pos = space + 1
    return pos if data.startswith(b"[", pos, end) else -1


def _parse_header(suffix: bytes) -> _Header | None:
    """The part of a goroutine header after the id: status, flags, minutes, labels."""
    read = _suffix_parts(suffix)
    if read is None:
        return None
    version = 22 if suffix.startswith(b"gp=") else 0
    status, labels_text = read
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
        digits = _minutes_of(part)
        if digits is not None:
            minutes = int(digits)
        elif part == b"locked to thread":
            locked = True
        elif part.startswith(b"synctest bubble"):
            version = max(version, 25)
    if not reason:
        return None
    return _Header(_text_of(reason), minutes, leaked, locked, labels, version)


def _minutes_of(part: bytes) -> bytes | None:
    """The digits of a header's ``N minutes`` part (``1 minute`` too), else None."""
    number, _, unit = part.partition(b" ")
    return number if (unit == b"minutes" or unit == b"minute") and number.isdigit() else None


def _parse_labels(text: bytes) -> dict[str, str] | None:
    """The labels between a header's braces: ``key: value`` pairs, each quoted (with the
    runtime's escapes) or bare (``[A-Za-z0-9./_]``, a value may be empty), separated by
    ``, ``; None for any other text. Read by hand, as _LABEL reads it (its tests compare
    both): a small dump then never imports ``re``."""
    labels: dict[str, str] = {}
    pos, end = 0, len(text)
    while pos < end:
        key, pos = _label_part(text, pos, empty=False)
        if key is None or text[pos : pos + 2] != b": ":
            return None
        value, pos = _label_part(text, pos + 2, empty=True)
        if value is None:
            return None
        if pos < end:
            if text[pos : pos + 2] != b", ":
                return None
            pos += 2
        labels[key] = value
    return labels


def _label_part(text: bytes, pos: int, *, empty: bool) -> tuple[str | None, int]:
    """A quoted or bare key or value at ``pos``, and where it ends; None when there is none."""
    end = len(text)
    if text[pos : pos + 1] != b'"':
        stop = pos
        while stop < end and text[stop] in _BARE:
            stop += 1
        return (None if stop == pos and not empty else _text_of(text[pos:stop])), stop
    at = pos + 1
    quote = text.find(b'"', at)
    while quote >= 0:
        slash = text.find(b"\\", at, quote)
        if slash < 0:
            return _unquote(text[pos + 1 : quote]), quote + 1
        if slash + 1 >= end or text[slash + 1] == 10:  # an escape needs a character, no newline
            return None, pos
        at = slash + 2
        if at > quote:  # the quote was escaped: look for the next one
            quote = text.find(b'"', at)
    return None, pos


_BARE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./_")
_ANY_HEX = b"0123456789abcdefABCDEF"
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t"}


def _unquote(s: bytes) -> str:
    """Undo the runtime's printquoted: \\n \\r \\t \\\\ \\" \\xNN \\uNNNN \\UNNNNNNNN (as _ESCAPE
    reads them; anything else after a backslash stands for itself)."""
    if b"\\" not in s:
        return _text_of(s)
    out = bytearray()
    at = 0
    while True:
        slash = s.find(b"\\", at)
        if slash < 0 or slash + 1 >= len(s):
            out += s[at:]
            return _text_of(bytes(out))
        out += s[at:slash]
        c = s[slash + 1 : slash + 2]
        digits = {b"x": 2, b"u": 4, b"U": 8}.get(c, 0)
        code = s[slash + 2 : slash + 2 + digits]
        if digits and len(code) == digits and not code.strip(_ANY_HEX):
            if c == b"x":
                out.append(int(code, 16))
            else:
                try:
                    out += chr(int(code, 16)).encode("utf-8", "surrogatepass")
                except (ValueError, OverflowError):
                    out += c + code
            at = slash + 2 + digits
        else:
            out += _ESCAPED.get(c, c)
            at = slash + 2


def _text_of(b: bytes) -> str:
    return b.decode("utf-8", "replace")


_FileLine = tuple[str, int]  # file, line
# Cached readings of lines: a file line alone, or a function line and its file line (a Frame).
_Lines = dict[bytes, "_FileLine | Frame | None"]


def _file_line(line: bytes, cache: _Lines) -> _FileLine | None:
    """Read ``\t/path/file.go:12 +0x1d``; cached, as the same lines recur across stacks."""
    if line in cache:
        known = cache[line]
        return None if known is None or isinstance(known, Frame) else known
    # The common form, "\tpath:line" or "\tpath:line +0xoffset", read with bytes methods (the
    # regex costs more than the rest of a frame); others, frame registers included, by _FILE.
    # The path is everything before the last colon, as _FILE's greedy ".*" takes it.
    colon = line.rfind(b":")
    number, space, offset = line[colon + 1 :].partition(b" ")
    if (
        colon > 0
        and line.startswith(b"\t")
        and number.isdigit()
        and (not space or (offset.startswith(b"+0x") and _is_hex(offset[3:])))
    ):
        info: _FileLine | None = (_text_of(line[1:colon]), int(number))
    else:
        fm = _FILE.compiled.fullmatch(line)
        info = None if fm is None else (_text_of(fm.group(1)), int(fm.group(2)))
    if len(cache) > 200_000:
        cache.clear()
    cache[line] = info
    return info


def _parse_body(body: bytes, files: _Lines | None = None) -> _Body:
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
    return _Body(retry.shape, junk=retry.junk + len(lines) - len(kept), cut_frame=retry.cut_frame)


def _foreign(line: bytes) -> bool:
    """True for a line that no stack has: not a frame, file, ``created by`` or elision line."""
    if line.startswith((b"\t", b"created by ", _ANCESTOR)):
        return False
    return _function_name(line) is None and _ELIDED.compiled.fullmatch(line) is None


def _parse_lines(lines: list[bytes], files: _Lines) -> _Body:
    """Parse the lines of a stack (see _parse_body)."""
    frames: list[Frame] = []
    created_by: Frame | None = None
    elided = 0
    version = 0
    unavailable = False
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.startswith(b"\t"):
            if line == _UNAVAILABLE and not frames and not unavailable:
                unavailable = True
                i += 1
                continue
            return _Body(None)  # a file line with no function line before it
        if line.startswith(_ANCESTOR):
            break  # the stacks of this goroutine's ancestors, not frames of it
        em = _ELIDED.compiled.fullmatch(line) if line.startswith(b"...") else None
        if em is not None:
            if em.group(1) is not None:
                elided += int(em.group(1))
                version = max(version, 21)
            else:
                elided += 1  # the old form does not say how many
            i += 1
            continue
        if created_by is None and i + 1 < n:
            # A frame seen in another stack: its function and file line read the same.
            known = files.get(line + b"\n" + lines[i + 1])
            if isinstance(known, Frame):
                frames.append(known)
                i += 2
                continue
        info = _file_line(lines[i + 1], files) if i + 1 < n else None
        if info is None:
            return _trailing(frames, created_by, unavailable, elided, version, lines[i:])
        file, lineno = info
        if line.startswith(b"created by "):
            cm = _CREATED.compiled.fullmatch(line)
            if cm is None or created_by is not None:
                return _Body(None)
            if cm.group(2) is not None:
                version = max(version, 21)
            created_by = Frame(_text_of(cm.group(1)), file, lineno)
            i += 2
            continue
        name = _function_name(line)
        if name is None or created_by is not None:
            return _trailing(frames, created_by, unavailable, elided, version, lines[i:])
        frame = Frame(_text_of(name), file, lineno)
        frames.append(frame)
        if len(line) < 512:  # argument values make most careful-path lines unique: not kept
            files[line + b"\n" + lines[i + 1]] = frame
        i += 2
    if not frames and not unavailable:
        return _Body(None)
    return _Body(_Shape(tuple(frames), created_by, elided, _is_system(frames), version))


def _creator_of(line: bytes, file_line: bytes, files: _Lines) -> _Creator | None:
    """A ``created by`` line and its file line read as _parse_lines reads them, or None."""
    cm = _CREATED.compiled.fullmatch(line)
    info = _file_line(file_line, files)
    if cm is None or info is None:
        return None
    return _Creator(Frame(_text_of(cm.group(1)), *info), 21 if cm.group(2) else 0)


def _function_name(line: bytes) -> bytes | None:
    """``pkg.(*T).M`` from ``pkg.(*T).M(0x1, {...})``; None if the line is no function line."""
    if not line.endswith(b")"):
        return None
    open_at = line.rfind(b"(")
    if open_at <= 0:
        return None
    name = line[:open_at]
    if name.find(b" ") >= 0 or name.find(b"\t") >= 0:  # find: `in` on bytes raises inside
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
    shape = _Shape(tuple(frames), created_by, elided, _is_system(frames), version)
    return _Body(shape, junk=len(rest), cut_frame=cut)


def _looks_cut(body: bytes) -> bool:
    """Whether a stack that did not parse ends where a cut would leave it: after a header or a
    function line whose file line is missing."""
    last = body.rstrip(b"\n").rpartition(b"\n")[2]
    return not last or last.startswith(b"created by ") or _function_name(last) is not None


def _is_system(frames: Sequence[Frame]) -> bool:
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
    m = _CREATED.compiled.fullmatch(body[at : end if end >= 0 else len(body)].lstrip(b"\n"))
    return int(m.group(2)) if m is not None and m.group(2) is not None else None
