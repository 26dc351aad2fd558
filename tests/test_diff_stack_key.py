"""The stack key's rules (docs/stack-keys.md), one by one, on stacks shaped like real dumps.

test_diff.py checks the key end to end on real captures of a real service; these pin down each
rule, including the ones a single service does not exercise (Go upgrades, deep recursion).
"""

from __future__ import annotations

from goleash.model import STACK_KEY_DEPTH, Frame, stack_key_of, stack_key_parts

GOROOT = "/usr/local/go/src"


def handler_stack(root: str = "/home/ci/svc", std_line: int = 2092, line: int = 51) -> list[Frame]:
    """A goroutine blocked in a channel send under an HTTP handler, as debug=2 prints it."""
    return [
        Frame("main.(*server).search.func1", f"{root}/main.go", line),
        Frame("main.(*server).search", f"{root}/main.go", 44),
        Frame("net/http.HandlerFunc.ServeHTTP", f"{GOROOT}/net/http/server.go", std_line),
        Frame("net/http.(*conn).serve", f"{GOROOT}/net/http/server.go", std_line + 1000),
    ]


def as_profile(frames: list[Frame]) -> tuple[Frame, ...]:
    """The same stack as a protobuf profile prints it: runtime frames on top and at the end."""
    top = [
        Frame("runtime.gopark", f"{GOROOT}/runtime/proc.go", 460),
        Frame("runtime.chansend", f"{GOROOT}/runtime/chan.go", 283),
        Frame("runtime.chansend1", f"{GOROOT}/runtime/chan.go", 161),
    ]
    return (*top, *frames, Frame("runtime.goexit", f"{GOROOT}/runtime/asm_amd64.s", 1700))


def test_runtime_frames_and_paths_do_not_matter() -> None:
    key = stack_key_of(tuple(handler_stack()))
    assert stack_key_of(as_profile(handler_stack())) == key
    assert stack_key_of(tuple(handler_stack(root="example.com/svc"))) == key  # -trimpath
    assert stack_key_of(tuple(handler_stack(root="C:\\build\\svc"))) == key  # another machine


def test_standard_library_lines_do_not_matter_but_yours_do() -> None:
    key = stack_key_of(tuple(handler_stack()))
    assert stack_key_of(tuple(handler_stack(std_line=2171))) == key  # another Go release
    assert stack_key_of(tuple(handler_stack(line=52))) != key  # another line of yours


def test_plumbing_above_the_blocking_site_is_left_out() -> None:
    # A WaitGroup wait: sync frames that Go 1.24 moved and renamed, then the user's frame.
    user = Frame("main.drain", "/src/svc/main.go", 30)
    old = (
        Frame("sync.runtime_Semacquire", "/go/src/runtime/sema.go", 62),
        Frame("sync.(*WaitGroup).Wait", "/go/src/sync/waitgroup.go", 116),
        user,
    )
    new = (
        Frame("sync.runtime_SemacquireWaitGroup", "/go/src/runtime/sema.go", 114),
        Frame("sync.(*WaitGroup).Wait", "/go/src/sync/waitgroup.go", 118),
        user,
    )
    assert stack_key_of(old) == stack_key_of(new)
    assert stack_key_parts(new) == ("main.drain main.go:30",)


def test_generic_type_arguments_are_written_as_dots() -> None:
    traceback = (Frame("main.(*cache[...]).refresh[...]", "/src/svc/cache.go", 9),)
    shape = "main.(*cache[go.shape.string]).refresh[go.shape.map[string]int]"
    profile = (Frame(shape, "example.com/svc/cache.go", 9),)
    assert stack_key_parts(profile) == ("main.(*cache[...]).refresh[...] cache.go:9",)
    assert stack_key_of(traceback) == stack_key_of(profile)


def test_deep_stacks_compare_on_their_innermost_frames() -> None:
    # debug=2 prints 100 of a 150-deep recursion; debug=1 keeps 125, protobuf 126.
    leaf = Frame("main.deep", "/src/svc/deep.go", 9)
    step = Frame("main.deep", "/src/svc/deep.go", 12)
    printed = (leaf, *[step] * 99)
    kept = (leaf, *[step] * 124)
    assert stack_key_of(printed) == stack_key_of(kept)
    assert len(stack_key_parts(kept)) == STACK_KEY_DEPTH


def test_stacks_of_nothing_but_plumbing_keep_their_functions() -> None:
    accept = (
        Frame("internal/poll.runtime_pollWait", "/go/src/runtime/netpoll.go", 351),
        Frame("internal/poll.(*FD).Accept", "/go/src/internal/poll/fd_unix.go", 620),
    )
    sleep = (Frame("time.Sleep", "/go/src/runtime/time.go", 300),)
    assert stack_key_of(accept) != stack_key_of(sleep)
    assert stack_key_parts(sleep) == ("time.Sleep",)
