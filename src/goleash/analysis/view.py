"""What ``goleash dump`` shows of one input: the analysed snapshot, filtered as the user asked.

Pure: snapshots and options in, a DumpView out. Loading and printing happen in the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence

from goleash.analysis.ignore import IgnorePacks
from goleash.analysis.suspects import Assessment, assess, assess_runtime, format_limits
from goleash.analysis.waits import KINDS, is_known_state
from goleash.errors import InputError, UsageError
from goleash.model import Snapshot
from goleash.records import NamedTuple

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    import re


class DumpFilters(NamedTuple):
    """The user's filters. ``top`` limits the listing, never the exit status."""

    match: str | None = None  # regex searched in each frame's "function file:line"
    state: str | None = None  # normalised wait reason or kind, case-insensitive
    min_count: int = 1
    top: int | None = None
    include_ignored: bool = False


class DumpView(NamedTuple):
    """The analysed snapshot and the groups to show."""

    snapshot: Snapshot
    shown: tuple[Assessment, ...]
    suspects: int  # suspect groups that pass the filters (before --top)
    hidden_ignored: int  # ignored groups left out because --all was not given
    filtered_out: int  # groups left out by --match/--state/--min-count/--top
    warnings: tuple[str, ...]  # said about the input as a whole (not the parser's)
    # What the format cannot tell and what to capture instead (debug=1, protobuf).
    notes: tuple[str, ...] = ()
    proven: int = 0  # goroutines the runtime proved stuck (marks, deadlock), before filters
    hidden_runtime: int = 0  # runtime groups left out because --all was not given


def compile_match(pattern: str) -> re.Pattern[str]:
    """The --match regex, or a UsageError that says what is wrong with it."""
    import re  # here: most runs give no --match, and importing re costs start-up time

    try:
        return re.compile(pattern)
    except re.error as e:
        raise UsageError(f"--match: invalid regular expression {pattern!r}: {e}") from None


def check_state(state: str) -> None:
    """A --state value that names no kind or wait reason is a UsageError."""
    if not is_known_state(state):
        raise UsageError(
            f"--state: unknown state {state!r}; use a kind ({', '.join(KINDS[:6])}, …) "
            "or a wait reason as the dump prints it ('chan send', 'sync.Mutex.Lock', 'IO wait')"
        )


def _passes(a: Assessment, f: DumpFilters, rx: re.Pattern[str] | None) -> bool:
    g = a.group
    if g.count < f.min_count:
        return False
    if f.state is not None:
        wanted = f.state.strip().lower()
        if wanted not in (a.state.lower(), a.kind, g.state.lower()):
            return False
    if rx is not None:
        frames = list(g.frames)
        if g.created_by is not None:
            frames.append(g.created_by)
        if not any(rx.search(f"{fr.function} {fr.file}:{fr.line}") for fr in frames):
            return False
    return True


def pick_snapshot(snapshots: Sequence[Snapshot]) -> tuple[Snapshot, tuple[str, ...]]:
    """The snapshot to analyse: the last of several, with a warning saying so."""
    if not snapshots:
        raise InputError("no goroutine dump found in the input")
    if len(snapshots) == 1:
        return snapshots[0], ()
    return snapshots[-1], (f"{len(snapshots)} dumps in the input; analysing the last one",)


def build_view(
    snapshots: Sequence[Snapshot], ignore: IgnorePacks, filters: DumpFilters
) -> DumpView:
    """Analyse the (last) snapshot and apply the user's filters.

    Runtime system goroutines (GOTRACEBACK=system, SIGQUIT) come last and only with --all.
    """
    rx = compile_match(filters.match) if filters.match is not None else None
    if filters.state is not None:
        check_state(filters.state)
    snapshot, warnings = pick_snapshot(snapshots)
    assessed = assess(snapshot, ignore)
    kept: list[Assessment] = []
    hidden_ignored = 0
    filtered_out = 0
    for a in assessed:
        if a.ignored is not None and not filters.include_ignored:
            hidden_ignored += 1
        elif _passes(a, filters, rx):
            kept.append(a)
        else:
            filtered_out += 1
    suspects = sum(1 for a in kept if a.suspect)
    hidden_runtime = 0
    for a in assess_runtime(snapshot):
        if not filters.include_ignored:
            hidden_runtime += 1
        elif _passes(a, filters, rx):
            kept.append(a)
        else:
            filtered_out += 1
    if filters.top is not None and len(kept) > filters.top:
        filtered_out += len(kept) - filters.top
        kept = kept[: filters.top]
    return DumpView(
        snapshot,
        tuple(kept),
        suspects,
        hidden_ignored,
        filtered_out,
        warnings,
        notes=format_limits(snapshot),
        proven=sum(a.group.count for a in assessed if a.proven),
        hidden_runtime=hidden_runtime,
    )
