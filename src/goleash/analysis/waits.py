"""Wait reasons normalised across Go versions, and the blocking *kind* of a group.

Go has spelled the same wait differently over the years: before about Go 1.20 every sync wait
printed ``semacquire``; WaitGroup waits printed ``semacquire`` until Go 1.25; synctest adds
``(durable)`` variants; ``debug=1`` and protobuf profiles print no state at all. Analyses and
reports speak one vocabulary: the wait reason a current Go (1.27) would print, plus a short kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from goleash.model import Frame, Group
from goleash.records import NamedTuple

KINDS: tuple[str, ...] = (
    "chan-send",
    "chan-receive",
    "select",
    "select-no-cases",
    "nil-chan",
    "mutex",
    "rwmutex",
    "waitgroup",
    "cond",
    "io-wait",
    "sleep",
    "syscall",
    "running",
    "runnable",
    "other",
)

# Flags the traceback header may carry inside the state; they say nothing about *what* waits.
_FLAG_SUFFIXES: tuple[str, ...] = (" (durable)", " (leaked)", " (scan)")

_KIND_OF_STATE: dict[str, str] = {
    "chan send": "chan-send",
    "chan receive": "chan-receive",
    "select": "select",
    "select (no cases)": "select-no-cases",
    "chan send (nil chan)": "nil-chan",
    "chan receive (nil chan)": "nil-chan",
    "sync.Mutex.Lock": "mutex",
    "sync.RWMutex.RLock": "rwmutex",
    "sync.RWMutex.Lock": "rwmutex",
    "sync.WaitGroup.Wait": "waitgroup",
    "sync.Cond.Wait": "cond",
    "IO wait": "io-wait",
    "sleep": "sleep",
    "syscall": "syscall",
    "running": "running",
    "runnable": "runnable",
    "preempted": "runnable",
}

# Frames that name the sync primitive behind a ``semacquire`` (or an unknown state), in the
# order they are found walking from the innermost frame outwards. Old Go (≤1.16) shows the
# runtime_Semacquire* helpers; newer Go shows internal/sync and sync methods.
_SYNC_FRAMES: tuple[tuple[str, str], ...] = (
    ("sync.(*WaitGroup).Wait", "sync.WaitGroup.Wait"),
    ("sync.runtime_SemacquireWaitGroup", "sync.WaitGroup.Wait"),
    ("sync.(*RWMutex).RLock", "sync.RWMutex.RLock"),
    ("sync.runtime_SemacquireRWMutexR", "sync.RWMutex.RLock"),
    ("sync.(*RWMutex).Lock", "sync.RWMutex.Lock"),
    ("sync.runtime_SemacquireRWMutex", "sync.RWMutex.Lock"),
    ("sync.(*Mutex).Lock", "sync.Mutex.Lock"),
    ("internal/sync.(*Mutex).Lock", "sync.Mutex.Lock"),
    ("internal/sync.runtime_SemacquireMutex", "sync.Mutex.Lock"),
    ("sync.runtime_SemacquireMutex", "sync.Mutex.Lock"),
    ("sync.(*Cond).Wait", "sync.Cond.Wait"),
    ("sync.runtime_notifyListWait", "sync.Cond.Wait"),
)

# Frames that reveal the wait of a stateless (debug=1 / protobuf) record. The protobuf keeps
# runtime frames (gopark + chansend …); debug=1 hides leading runtime frames, so its first
# visible frame is used (sync.(*WaitGroup).Wait, internal/poll.runtime_pollWait, time.Sleep).
_STATELESS_FRAMES: tuple[tuple[str, str], ...] = (
    ("runtime.chansend", "chan send"),  # chansend1, and select-less sends
    ("runtime.chanrecv", "chan receive"),  # chanrecv1 (<-ch), chanrecv2 (v, ok / range)
    ("runtime.selectgo", "select"),
    ("runtime.block", "select (no cases)"),
    ("runtime.netpollblock", "IO wait"),
    ("internal/poll.", "IO wait"),
    ("runtime.timeSleep", "sleep"),
    ("time.Sleep", "sleep"),
    ("runtime.notetsleepg", "syscall"),
    ("runtime/pprof.writeGoroutineStacks", "running"),
    ("runtime/pprof.writeRuntimeProfile", "running"),
    ("os/signal.signal_recv", "syscall"),
    ("syscall.Syscall", "syscall"),
    ("syscall.RawSyscall", "syscall"),
    ("internal/runtime/syscall.", "syscall"),
)


# Every wait reason and status Go has printed (Go 1.27 spelling), for validating --state.
KNOWN_STATES: frozenset[str] = frozenset(
    {
        *_KIND_OF_STATE,
        "semacquire",
        "sync.Cond.Wait",
        "GC assist marking",
        "GC assist wait",
        "GC sweep wait",
        "GC scavenge wait",
        "GC worker (idle)",
        "GC worker (active)",
        "GC mark termination",
        "GC weak to strong wait",
        "dumping heap",
        "garbage collection",
        "garbage collection scan",
        "panicwait",
        "finalizer wait",
        "cleanup wait",
        "force gc (idle)",
        "GOMAXPROCS updater (idle)",
        "trace reader (blocked)",
        "wait for GC cycle",
        "debug call",
        "stopping the world",
        "flushing proc caches",
        "trace goroutine status",
        "trace proc status",
        "page trace flush",
        "coroutine",
        "synctest.Run",
        "synctest.Wait",
        "idle",
        "dead",
        "copystack",
        "waiting",
        "leaked",
        "waiting for cgo callback",
    }
)


def is_known_state(text: str) -> bool:
    """True when ``text`` names a kind or a wait reason (case-insensitive), as --state takes."""
    wanted = text.strip().lower()
    return wanted in KINDS or any(wanted == s.lower() for s in KNOWN_STATES)


class Wait(NamedTuple):
    """What a group waits for: the normalised wait reason and its kind (one of KINDS)."""

    state: str
    kind: str


def _sync_state(frames: Sequence[Frame]) -> str | None:
    # The sync frame nearest the user's code names what the user called: an RWMutex.Lock
    # waiting on its inner Mutex is still an RWMutex.Lock to the reader.
    found = None
    for frame in frames:
        for prefix, state in _SYNC_FRAMES:
            if frame.function.startswith(prefix):
                found = state
                break
        if not frame.is_plumbing:
            break
    return found


def _stateless_state(frames: Sequence[Frame]) -> str:
    for frame in frames:
        fn = frame.function
        for prefix, state in _STATELESS_FRAMES:
            if fn.startswith(prefix):
                return state
        if fn.startswith(("runtime.semacquire", "sync.runtime_Semacquire")) or fn.startswith(
            ("internal/sync.", "sync.")
        ):
            found = _sync_state(frames)
            if found is not None:
                return found
        if not frame.is_plumbing:
            # The first user frame ends the search: below it nothing says how it waits.
            break
    return ""


def normalise_state(state: str, frames: Sequence[Frame]) -> str:
    """The wait reason as Go 1.27 would print it, inferred from frames when the dump has none.

    ``semacquire`` becomes ``sync.Mutex.Lock`` / ``sync.RWMutex.RLock`` / ``sync.RWMutex.Lock`` /
    ``sync.WaitGroup.Wait`` / ``sync.Cond.Wait`` by the sync frames above it; ``chan send
    (durable)`` becomes ``chan send``; an empty state (``debug=1``, protobuf) is inferred from the
    runtime or first visible frames, and stays empty when they say nothing.
    """
    s = state.strip()
    changed = True
    while changed:
        changed = False
        for suffix in _FLAG_SUFFIXES:
            if s.endswith(suffix):
                s = s[: -len(suffix)]
                changed = True
    if s == "semacquire":
        return _sync_state(frames) or s
    if s in ("", "waiting", "leaked"):
        return _stateless_state(frames) or ("" if s == "leaked" else s)
    return s


def kind_of(state: str) -> str:
    """The blocking kind of a normalised wait reason (``other`` when it is none of KINDS)."""
    return _KIND_OF_STATE.get(state, "other")


def classify(group: Group) -> Wait:
    """Normalised wait reason and blocking kind of a group."""
    state = normalise_state(group.state, group.frames)
    return Wait(state=state, kind=kind_of(state))
