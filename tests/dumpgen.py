"""Generated debug=2 goroutine dumps of any size and stack diversity, shaped like real ones.

Real dumps of large services hold hundreds to thousands of distinct stacks: the same handlers at
different lines and depths, in many packages, with argument values, parent ids and wait minutes
that differ from goroutine to goroutine. ``generate`` writes such a dump, deterministically from
a seed, in the exact printing of Go 1.21+ (``runtime/traceback.go``): register-ABI arguments
(``{0x4ae1be?, 0x5}``), inlined frames with ``(...)`` and no ``+0x``, ``created by X in
goroutine N``, ``...N frames elided...``, header labels, ``, N minutes``, ``, locked to thread``.
The benchmark and the equivalence tests use it; the frames are made up, the format is not.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

STATES = (
    "chan receive",
    "chan send",
    "select",
    "IO wait",
    "sync.Mutex.Lock",
    "sync.RWMutex.RLock",
    "sync.WaitGroup.Wait",
    "sync.Cond.Wait",
    "semacquire",
    "sleep",
    "select (no cases)",
    "chan receive (nil chan)",
    "runnable",
    "syscall",
)
PACKAGES = (
    "main",
    "net/http",
    "database/sql",
    "github.com/acme/billing/internal/ledger",
    "github.com/acme/billing/internal/api",
    "google.golang.org/grpc/internal/transport",
    "google.golang.org/grpc",
    "go.etcd.io/etcd/client/v3",
    "github.com/segmentio/kafka-go",
    "gopkg.in/yaml%2ev3",
)
NAMES = (
    "(*Server).Serve",
    "(*conn).serve",
    "(*Writer).run",
    "(*pool).worker",
    "handle",
    "process[...]",
    "(*http2Client).reader",
    "loop.func1",
    "(*Reader).fetch.func2.1",
    "Do",
    "watch.gowrap3",
)
FILES = ("server.go", "conn.go", "writer.go", "pool.go", "handler.go", "stream.go", "watch.go")


@dataclass(frozen=True)
class _Stack:
    state: str
    # function, file, line, PC offset ("" for an inlined frame): fixed per call site, as in Go
    frames: tuple[tuple[str, str, int, str], ...]
    elided: int
    creator: tuple[str, str, int, str] | None
    locked: bool
    labels: str


def _function(rng: random.Random) -> tuple[str, str]:
    pkg = rng.choice(PACKAGES)
    name = rng.choice(NAMES)
    if rng.random() < 0.3:
        name = f"{name}{rng.randrange(40)}"
    home = "/usr/local/go/src" if "." not in pkg.split("/")[0] else "/home/ci/go/pkg/mod"
    return f"{pkg}.{name}", f"{home}/{pkg.replace('%2e', '.')}/{rng.choice(FILES)}"


def _stack(rng: random.Random) -> _Stack:
    depth = min(100, int(rng.paretovariate(1.6)) + 1)
    frames = []
    for _ in range(depth):
        fn, file = _function(rng)
        offset = "" if rng.random() < 0.1 else f" +0x{rng.randrange(1, 4096):x}"
        frames.append((fn, file, rng.randrange(12, 4000), offset))
    elided = 0
    if depth == 100 and rng.random() < 0.5:
        elided = rng.randrange(1, 300)
    creator = None
    if rng.random() < 0.97:
        fn, file = _function(rng)
        creator = (fn, file, rng.randrange(12, 4000), f" +0x{rng.randrange(1, 4096):x}")
    labels = ""
    if rng.random() < 0.05:
        labels = rng.choice((" {handler: /api/v1}", ' {tenant: "acme corp", worker: 3}'))
    return _Stack(rng.choice(STATES), tuple(frames), elided, creator, rng.random() < 0.01, labels)


def _args(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randrange(0, 5)):
        r = rng.random()
        if r < 0.4:
            parts.append(f"0x{rng.randrange(1 << 40):x}")
        elif r < 0.6:
            parts.append(f"0x{rng.randrange(1 << 20):x}?")
        elif r < 0.8:
            parts.append(f"{{0x{rng.randrange(1 << 32):x}?, 0x{rng.randrange(64):x}}}")
        else:
            parts.append("...")  # the runtime stops printing arguments here
            break
    return ", ".join(parts)


def records(
    goroutines: int, stacks: int, *, seed: int = 0, minutes: float = 0.3
) -> Iterator[bytes]:
    """The goroutine records of a dump, each ending with its blank line.

    ``stacks`` distinct stacks (every one used at least once when ``goroutines >= stacks``),
    picked with a skew like real services (a few shapes hold most goroutines); ``minutes`` is the
    share of waiting goroutines whose header says how long they have waited.
    """
    rng = random.Random(seed)
    shapes = [_stack(rng) for _ in range(max(1, stacks))]
    cumulative = list(accumulate(1.0 / (i + 1) for i in range(len(shapes))))
    next_id = 1
    ids: list[int] = []
    for n in range(goroutines):
        shape = shapes[n] if n < len(shapes) else rng.choices(shapes, cum_weights=cumulative)[0]
        gid = next_id
        next_id += rng.choice((1, 1, 1, 2, 7))
        head = f"goroutine {gid} [{shape.state}"
        if shape.state not in ("runnable", "running") and rng.random() < minutes:
            head += f", {int(rng.paretovariate(1.0))} minutes"
        if shape.locked:
            head += ", locked to thread"
        lines = [head + "]" + shape.labels + ":"]
        for i, (fn, file, line, offset) in enumerate(shape.frames):
            if shape.elided and i == 50:
                lines.append(f"...{shape.elided} frames elided...")
            args = _args(rng) if offset else "..."
            lines.append(f"{fn}({args})\n\t{file}:{line}{offset}")
        if shape.creator is not None:
            fn, file, line, offset = shape.creator
            parent = ""
            if ids and rng.random() < 0.95:
                alive = rng.random() < 0.9
                parent = f" in goroutine {rng.choice(ids[-5000:]) if alive else 999_999_999}"
            lines.append(f"created by {fn}{parent}\n\t{file}:{line}{offset}")
        ids.append(gid)
        yield ("\n".join(lines) + "\n\n").encode()


def generate(goroutines: int, stacks: int, *, seed: int = 0, minutes: float = 0.3) -> bytes:
    """A whole debug=2 dump (see ``records``)."""
    return b"".join(records(goroutines, stacks, seed=seed, minutes=minutes))
