"""The vocabulary every part of goleash speaks: frames, goroutines, groups, snapshots, findings.

Plain immutable records (named tuples: made and hashed in C, which a parser that builds
thousands of frames per dump notices, and cheap to import). Parsers build them, analyses read
them, reports render them; ``record._replace(field=value)`` makes a changed copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from goleash.records import NamedTuple

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it

try:
    # hashlib's blake2b is this one; importing hashlib also loads OpenSSL (~5 ms of start-up),
    # which nothing here uses. The same function, so the same digests.
    from _blake2 import blake2b
except ImportError:  # a Python built without _blake2: hashlib has it from OpenSSL
    from hashlib import blake2b

if TYPE_CHECKING:
    from datetime import datetime  # only an annotation here: no datetime import at run time

# The default of every ``labels`` field: shared by every record that has none, so never changed.
_NO_LABELS: Mapping[str, str] = {}

# Packages whose frames say *how* a goroutine waits, never *where* in the user's code.
# A goroutine parked in sync.(*Mutex).Lock is located at the caller of Lock.
PLUMBING_PREFIXES: tuple[str, ...] = (
    "runtime.",
    "runtime/internal/",
    "internal/runtime/",
    "internal/sync.",
    "internal/poll.",
    "sync.",
    "sync/atomic.",
    "internal/synctest.",
    "testing/synctest.",
    "time.Sleep",
)


def package_of(function: str) -> str:
    """The import path of a Go function name as printed in tracebacks.

    ``net/http.(*conn).serve`` -> ``net/http``; ``main.main.func1`` -> ``main``;
    ``gopkg.in/yaml%2ev2.handleErr`` -> ``gopkg.in/yaml.v2``.
    """
    slash = function.rfind("/")
    dot = function.find(".", slash + 1)
    pkg = function if dot < 0 else function[:dot]
    return pkg.replace("%2e", ".")


class Frame(NamedTuple):
    """One call in a stack. Argument values are not part of a frame's identity."""

    function: str
    file: str
    line: int

    @property
    def package(self) -> str:
        return package_of(self.function)

    @property
    def file_name(self) -> str:
        """The last element of ``file``, whichever OS printed it (``C:\\src\\x.go`` -> ``x.go``)."""
        return self.file.rpartition("/")[2].rpartition("\\")[2]

    @property
    def is_plumbing(self) -> bool:
        """True for runtime, sync and poller frames that only say how a goroutine waits."""
        return self.function.startswith(PLUMBING_PREFIXES) or self.function == "panic"

    def __str__(self) -> str:
        return f"{self.function} {self.file}:{self.line}"


class Goroutine(NamedTuple):
    """One goroutine as a dump shows it.

    ``state`` is the status or wait reason exactly as printed (``chan send``, ``semacquire``,
    ``select (no cases)``); aggregated formats that print no state leave it empty.
    """

    id: int | None
    state: str
    frames: tuple[Frame, ...]
    wait_minutes: int | None = None
    leaked: bool = False
    locked_to_thread: bool = False
    labels: Mapping[str, str] = _NO_LABELS
    created_by: Frame | None = None
    parent_id: int | None = None
    elided_frames: int = 0


def signature_of(state: str, frames: tuple[Frame, ...], created_by: Frame | None) -> str:
    """A stable id for a stack shape, equal across snapshots, processes and restarts."""
    # One text hashed at once (the digest is that of its parts fed one by one): state, then
    # "\0function\1file\1line" per frame, then "\0created\0" and the creator's three.
    text = "\0".join([state, *[f"{f.function}\1{f.file}\1{f.line}" for f in frames]])
    if created_by is not None:
        text += f"\0created\0{created_by.function}\1{created_by.file}\1{created_by.line}"
    return signature_of_text(text.encode())


def signature_of_text(text: bytes) -> str:
    """The signature of a stack given as the text signature_of hashes (made elsewhere, in C,
    when many signatures are made at once)."""
    return blake2b(text, digest_size=8).hexdigest()


# Frames that differ between dump formats of one process (the traceback hides most runtime
# frames, pprof profiles keep them and end in runtime.goexit), so a stack key leaves them out.
_RUNTIME_PREFIXES: tuple[str, ...] = ("runtime.", "runtime/internal/", "internal/runtime/")

# The first element of every standard-library import path. A stack key keeps these frames'
# functions but not their lines, which move with every Go release.
_STDLIB_ROOTS = frozenset(
    (  # noqa: SIM905 -- fifty words read better as text than as fifty lines
        "archive bufio bytes cmp compress container context crypto database debug embed "
        "encoding errors expvar flag fmt go hash html image index internal io iter log maps "
        "math mime net os path plugin reflect regexp runtime slices sort strconv strings "
        "structs sync syscall testing text time unicode unique unsafe vendor weak"
    ).split()
)

# Frames a stack key reads, innermost first, past the plumbing. Formats cut deep stacks in
# different places: debug=2 prints the innermost 50 and the outermost 50 frames, profiles keep
# the innermost 128 PCs (32 before Go 1.23, runtime frames included). Two stacks whose innermost
# 20 frames agree run the same code for every comparison goleash makes.
STACK_KEY_DEPTH = 20


def _without_type_args(function: str) -> str:
    """``main.(*box[go.shape.int]).wait`` -> ``main.(*box[...]).wait``.

    Tracebacks print instantiated generics as ``[...]``, pprof profiles with their shapes.
    """
    if "[" not in function:
        return function
    out: list[str] = []
    depth = 0
    for ch in function:
        if ch == "[":
            if depth == 0:
                out.append("[...]")
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def is_stdlib_function(function: str) -> bool:
    """True for functions of Go's standard library, judged by the import path alone."""
    pkg = package_of(function)
    return pkg != "main" and pkg.split("/", 1)[0] in _STDLIB_ROOTS


def stack_key_parts(frames: tuple[Frame, ...]) -> tuple[str, ...]:
    """What a stack key hashes, one string per frame kept (for docs, tests and debugging).

    From the innermost frame that is not plumbing (runtime, sync, poller: how the goroutine
    waits, which formats and Go versions print differently) outward, at most
    ``STACK_KEY_DEPTH`` frames, runtime frames skipped; each as ``function file:line`` with the
    path reduced to the file name, generic type arguments as ``[...]``, and for the standard
    library the function alone. A stack that is all plumbing keeps its non-runtime functions
    (or all of its functions when nothing else is left).
    """
    kept = [f for f in frames if not f.function.startswith(_RUNTIME_PREFIXES)]
    start = next((i for i, f in enumerate(kept) if not f.is_plumbing), None)
    if start is None:
        names = kept or list(frames)
        return tuple(_without_type_args(f.function) for f in names[:STACK_KEY_DEPTH])
    parts: list[str] = []
    for f in kept[start : start + STACK_KEY_DEPTH]:
        function = _without_type_args(f.function)
        if is_stdlib_function(function):
            parts.append(function)
        else:
            parts.append(f"{function} {f.file_name}:{f.line}")
    return tuple(parts)


def stack_key_of(frames: tuple[Frame, ...]) -> str:
    """A coarser id than the signature, for comparing snapshots over time.

    Equal for the same code read from debug=2, debug=1 or protobuf, before and after a restart,
    and after a rebuild at another path (``-trimpath``, another build directory or machine),
    and mostly with another Go release. No state or creator (debug=1 and protobuf print
    neither); see ``stack_key_parts`` for what it is made of, and docs/stack-keys.md.
    """
    h = blake2b(digest_size=8)
    for part in stack_key_parts(frames):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


class Group(NamedTuple):
    """Goroutines with the same state, frames and creation site."""

    signature: str
    state: str
    frames: tuple[Frame, ...]
    created_by: Frame | None
    count: int  # type: ignore[assignment]  # shadows tuple.count, which no Group needs
    wait_minutes: tuple[int, int] | None = None
    leaked: int = 0
    locked_to_thread: int = 0
    labels: Mapping[str, str] = _NO_LABELS
    # Goroutines of the group whose parent (``created by … in goroutine N``) is gone from the
    # snapshot, out of those whose parent is known.
    orphans: int = 0
    # Of the others, those whose parent is alive but no longer inside the function that ran the
    # `go` statement: the call that started them has returned.
    creator_returned: int = 0
    with_parent: int = 0
    sample_ids: tuple[int, ...] = ()
    elided_frames: int = 0  # frames the dump left out of the middle of the stack

    @property
    def blocking_site(self) -> Frame | None:
        """The first frame past runtime, sync and poller plumbing: where user code waits."""
        for f in self.frames:
            if not f.is_plumbing:
                return f
        return self.frames[-1] if self.frames else None

    @property
    def creation_site(self) -> Frame | None:
        """The ``go`` statement that started these goroutines, when the dump says."""
        return self.created_by

    @property
    def stack_key(self) -> str:
        """The id that matches this stack across formats, restarts and rebuilds."""
        return stack_key_of(self.frames)


class Snapshot(NamedTuple):
    """All goroutines of one process at one moment, grouped."""

    groups: tuple[Group, ...]
    format: str  # "traceback", "debug1", "proto"
    profile: str = "goroutine"  # or "goroutineleak"
    source: str = ""
    taken_at: datetime | None = None
    go_version: str | None = None
    total: int = 0  # goroutines read
    reported_total: int | None = None  # the total the dump itself states, when it does
    unparsed: int = 0  # goroutine records that could not be read
    warnings: tuple[str, ...] = ()
    # The runtime printed "all goroutines are asleep - deadlock!": it has proved that every
    # blocked goroutine in this dump can never run again.
    deadlock: bool = False
    # Runtime system goroutines (GC workers, finalizer, …) and g0 stacks that
    # GOTRACEBACK=system/crash and SIGQUIT print: counted apart from ``total``, never suspects.
    runtime_groups: tuple[Group, ...] = ()
    runtime_total: int = 0


SEVERITIES: tuple[str, ...] = ("info", "warning", "error")


class Finding(NamedTuple):
    """A static-analysis result at one place in Go source."""

    rule: str
    severity: str  # one of SEVERITIES
    file: str
    line: int
    column: int
    message: str
    fix: str = ""
    end_line: int | None = None
    end_column: int | None = None
