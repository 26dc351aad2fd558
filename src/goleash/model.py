"""The vocabulary every part of goleash speaks: frames, goroutines, groups, snapshots, findings.

Plain frozen dataclasses. Parsers build them, analyses read them, reports render them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class Frame:
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


@dataclass(frozen=True, slots=True)
class Goroutine:
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
    labels: Mapping[str, str] = field(default_factory=dict)
    created_by: Frame | None = None
    parent_id: int | None = None
    elided_frames: int = 0


def signature_of(state: str, frames: tuple[Frame, ...], created_by: Frame | None) -> str:
    """A stable id for a stack shape, equal across snapshots, processes and restarts."""
    h = hashlib.blake2b(digest_size=8)
    h.update(state.encode())
    for f in frames:
        h.update(b"\0")
        h.update(f"{f.function}\1{f.file}\1{f.line}".encode())
    if created_by is not None:
        h.update(b"\0created\0")
        h.update(f"{created_by.function}\1{created_by.file}\1{created_by.line}".encode())
    return h.hexdigest()


# Frames that differ between dump formats of one process (the traceback hides most runtime
# frames, pprof profiles keep them and end in runtime.goexit), so a stack key leaves them out.
_RUNTIME_PREFIXES: tuple[str, ...] = ("runtime.", "runtime/internal/", "internal/runtime/")


def stack_key_of(frames: tuple[Frame, ...]) -> str:
    """A coarser id than the signature, for comparing snapshots over time.

    Functions and lines, with each path reduced to its file name (what survives ``-trimpath``,
    another build directory or another machine), runtime frames left out, and no state or
    creator: debug=1 and protobuf profiles print neither. Equal for the same code read from
    debug=2, debug=1 or protobuf, before and after a restart or a rebuild.
    """
    h = hashlib.blake2b(digest_size=8)
    for f in frames:
        if f.function.startswith(_RUNTIME_PREFIXES):
            continue
        h.update(f"{f.function}\1{f.file_name}\1{f.line}\0".encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Group:
    """Goroutines with the same state, frames and creation site."""

    signature: str
    state: str
    frames: tuple[Frame, ...]
    created_by: Frame | None
    count: int
    wait_minutes: tuple[int, int] | None = None
    leaked: int = 0
    locked_to_thread: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
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


@dataclass(frozen=True, slots=True)
class Snapshot:
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


@dataclass(frozen=True, slots=True)
class Finding:
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
