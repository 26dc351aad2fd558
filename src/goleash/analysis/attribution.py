"""Which test left each goroutine behind.

Evidence, strongest first, each used for the goroutines the ones before could not place:

1. **label** — goleash's overlay labels every test's goroutine with the test's number (pprof
   labels), and every goroutine inherits the labels of the goroutine that started it, however
   deep. Go 1.26+ prints the label in each goroutine's header; before that the goroutine
   profile gives, per stack, how many goroutines carry each label.
2. **ancestry** — ``created by … in goroutine N``: N (or N's own creator, while it is alive) is
   the goroutine a test ran in. This names goroutines whose labels were replaced on the way
   (code that runs work under ``pprof.Do(context.Background(), …)``).
3. **timing** — from `go test -json`: when a single test ran, it is the only one that could
   have started them.
4. **rerun** — the package's tests run one at a time (then the subtests of the one found): the
   test whose run alone leaves the same stack is named.

Everything here is pure: the caller runs the tests and the re-runs.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from goleash.analysis.ignore import IgnorePacks
from goleash.model import Frame, Group, Snapshot
from goleash.sources.gotest.events import PackageEvents
from goleash.sources.gotest.result import LABEL as LABEL_KEY
from goleash.sources.gotest.result import CheckResult, Leftover

if TYPE_CHECKING:
    from goleash.analysis.suspects import Assessment

LABEL = "label"
ANCESTRY = "ancestry"
TIMING = "timing"
RERUN = "rerun"


@dataclass(frozen=True, slots=True)
class Placed:
    """One leftover goroutine and the test it was attributed to (None: not yet known)."""

    goroutine: Leftover
    test: str | None
    how: str | None
    # The name to fall back on when nothing better is found: "TestMain" for a goroutine with
    # its label that TestMain did not start itself (a server TestMain shares, serving a test).
    fallback: str | None = None


@dataclass(frozen=True, slots=True)
class Leak:
    """Goroutines one test left behind at one stack."""

    test: str | None  # the test or subtest's full name, "TestMain", or None when unknown
    how: str | None  # label | ancestry | timing | rerun
    assessment: Assessment  # the group (count = this test's goroutines) and its verdict
    note: str = ""

    @property
    def group(self) -> Group:
        return self.assessment.group


@dataclass(frozen=True, slots=True)
class PackageLeaks:
    """What one package's tests left behind, split by test."""

    leaks: tuple[Leak, ...]  # not covered by an ignore pack
    ignored: tuple[Leak, ...]  # covered by one (shown with -v)

    @property
    def leaked(self) -> int:
        return sum(leak.group.count for leak in self.leaks)


def place(result: CheckResult, top_level_tests: Sequence[str] = ()) -> list[Placed]:
    """Attribute every leftover goroutine of one test binary run by label, ancestry and timing."""
    found: dict[int, tuple[str, str]] = {}
    # 1a. Labels printed in the goroutine headers.
    for g in result.leftovers:
        if g.label is not None:
            name = result.test_name(g.label)
            if name is not None:
                found[g.id] = (name, LABEL)
    # 1b. Labels from the goroutine profile, matched by stack: per stack key, what the headers
    # already placed is taken off, the rest handed out in goroutine order.
    left: dict[str, Counter[int]] = defaultdict(Counter)
    for label, per_key in result.label_counts.items():
        for key, n in per_key.items():
            left[key][label] += n
    for g in result.leftovers:
        if g.label is not None and left[g.group.stack_key][g.label] > 0:
            left[g.group.stack_key][g.label] -= 1
    for g in sorted(result.leftovers, key=lambda g: g.id):
        if g.id in found:
            continue
        pool = left.get(g.group.stack_key)
        given = next((lb for lb, n in sorted(pool.items()) if n > 0), None) if pool else None
        if pool is not None and given is not None:
            pool[given] -= 1
            name = result.test_name(given)
            if name is not None:
                found[g.id] = (name, LABEL)
    # A TestMain label is TestMain's own goroutine only if TestMain started it; one started by
    # something TestMain started (a shared server's handler) was likely asked for by a test.
    fallback: dict[int, str] = {}
    for g in result.leftovers:
        name, _ = found.get(g.id, (None, None))
        if name == "TestMain" and g.parent not in (None, result.main_goroutine):
            fallback[g.id] = found.pop(g.id)[0]
    # 2. Ancestry: up the chain of creators while they are alive, to a test's goroutine.
    test_of_goroutine = {t.goid: t.name for t in result.tests}
    by_id = {g.id: g for g in result.leftovers}
    for g in result.leftovers:
        if g.id in found:
            continue
        seen: set[int] = set()
        parent = g.parent
        while parent is not None and parent not in seen:
            seen.add(parent)
            if parent in test_of_goroutine:
                found[g.id] = (test_of_goroutine[parent], ANCESTRY)
                break
            if parent in found and found[parent][1] in (LABEL, ANCESTRY):
                found[g.id] = (found[parent][0], ANCESTRY)
                break
            alive = by_id.get(parent)
            parent = alive.parent if alive is not None else None
    # 3. Timing: a single test ran, so it started whatever is left unexplained.
    tests = list(top_level_tests) or [t.name for t in result.tests if "/" not in t.name]
    if len(set(tests)) == 1:
        for g in result.leftovers:
            if g.id not in found:
                found[g.id] = (tests[0], TIMING)
    placed = []
    for g in result.leftovers:
        test, how = found.get(g.id, (None, None))
        placed.append(Placed(g, test, how, fallback=fallback.get(g.id)))
    return placed


def fall_back(placed: Sequence[Placed]) -> list[Placed]:
    """Use each goroutine's fallback name when no evidence named a test."""
    return [
        dataclasses.replace(p, test=p.fallback, how=LABEL) if p.test is None and p.fallback else p
        for p in placed
    ]


def unplaced_keys(placed: Iterable[Placed], packs: IgnorePacks) -> set[str]:
    """Stack keys of goroutines no test could be named for (ignored ones need no name)."""
    return {
        p.goroutine.group.stack_key
        for p in placed
        if p.test is None and packs.match(p.goroutine.group) is None
    }


def blame(keys: set[str], solo: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """For each stack key, the tests whose run alone left a goroutine on it (in run order).

    ``solo`` maps each test re-run alone to the stack keys its run left behind.
    """
    return {key: [t for t, left in solo.items() if key in left] for key in keys}


def apply_blame(placed: Sequence[Placed], blamed: Mapping[str, Sequence[str]]) -> list[Placed]:
    """Name the unplaced goroutines after the test that leaves the same stack when run alone."""
    out = []
    for p in placed:
        tests = blamed.get(p.goroutine.group.stack_key, ())
        if p.test is None and tests:
            out.append(dataclasses.replace(p, test=tests[0], how=RERUN))
        else:
            out.append(p)
    return out


def leaks_of(
    placed: Sequence[Placed],
    snapshot: Snapshot,
    packs: IgnorePacks,
    notes: Mapping[str, str] | None = None,
) -> PackageLeaks:
    """Group the placed goroutines by test and stack, and judge them with the ignore packs.

    ``snapshot`` is the binary's whole dump of leftovers (its groups carry the details of each
    stack); ``notes`` adds a remark to the leaks of a stack key.
    """
    by_signature = {g.signature: g for g in snapshot.groups}
    buckets: dict[tuple[str | None, str | None, str], list[Leftover]] = defaultdict(list)
    for p in placed:
        buckets[(p.test, p.how, p.goroutine.group.signature)].append(p.goroutine)
    groups: list[tuple[str | None, str | None, Group]] = []
    for (test, how, signature), members in buckets.items():
        base = by_signature.get(signature, members[0].group)
        ids = sorted(m.id for m in members)
        group = _user_names(base)._replace(
            # goleash's own test label says nothing the report does not; the user's stay.
            labels={k: v for k, v in base.labels.items() if k != LABEL_KEY},
            count=len(members),
            leaked=sum(m.group.leaked for m in members),
            sample_ids=tuple(ids[:8]),
        )
        groups.append((test, how, group))
    split = snapshot._replace(groups=tuple(g for _, _, g in groups))
    if not groups:
        return PackageLeaks((), ())
    from goleash.analysis.suspects import assess  # only when something was left

    verdicts = {id(a.group): a for a in assess(split, packs)}
    leaks: list[Leak] = []
    ignored: list[Leak] = []
    for test, how, group in groups:
        a = verdicts.get(id(group))
        if a is None:  # pragma: no cover - assess judges every group it is given
            continue
        note = (notes or {}).get(group.stack_key, "")
        (ignored if a.ignored is not None else leaks).append(Leak(test, how, a, note))
    order = _test_order(placed)
    leaks.sort(key=lambda x: (order.get(x.test, len(order)), -x.group.count, x.group.signature))
    ignored.sort(key=lambda x: (order.get(x.test, len(order)), x.group.signature))
    return PackageLeaks(tuple(leaks), tuple(ignored))


_RENAMED = ".goleashUserTestMain"  # the package's TestMain, renamed in the overlay


def _user_name(frame: Frame) -> Frame:
    if _RENAMED not in frame.function:
        return frame
    return frame._replace(function=frame.function.replace(_RENAMED, ".TestMain"))


def _user_names(group: Group) -> Group:
    """The group with the package's TestMain called by its own name again."""
    if not any(_RENAMED in f.function for f in (*group.frames, *filter(None, [group.created_by]))):
        return group
    created = _user_name(group.created_by) if group.created_by is not None else None
    frames = tuple(_user_name(f) for f in group.frames)
    return group._replace(frames=frames, created_by=created)


def _test_order(placed: Sequence[Placed]) -> dict[str | None, int]:
    order: dict[str | None, int] = {}
    for p in sorted(placed, key=lambda p: p.goroutine.id):
        order.setdefault(p.test, len(order))
    return order


def settle_by_reruns(
    placed: Sequence[Placed],
    packs: IgnorePacks,
    tests: Sequence[str],
    subtests_of: Callable[[str], Sequence[str]],
    rerun: Callable[[str], Sequence[CheckResult]],
    *,
    workers: int,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Placed], dict[str, str]]:
    """Name what label, ancestry and timing could not, by running tests one at a time.

    ``tests`` are the package's top-level tests in run order; ``rerun(test)`` runs one test (or
    subtest) alone and returns what its binary left. Tests run ``workers`` at a time. Returns
    the placements and, per stack key, a note for the reader when the answer is not clean.
    """
    keys = unplaced_keys(placed, packs)
    if not keys or not tests:
        return list(placed), {}

    def solo_runs(names: Sequence[str]) -> dict[str, set[str]]:
        def one(name: str) -> set[str]:
            if progress is not None:
                progress(name)
            return {g.group.stack_key for r in rerun(name) for g in r.leftovers}

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return dict(zip(names, pool.map(one, names), strict=True))

    blamed = blame(keys, solo_runs(list(dict.fromkeys(tests))))
    notes: dict[str, str] = {}
    for key, names in blamed.items():
        if not names:
            notes[key] = "no test leaves it when run alone: it needs the tests run before it"
            continue
        if len(names) > 1:
            notes[key] = "also left by " + ", ".join(names[1:]) + " when run alone"
            continue
        subs = list(subtests_of(names[0]))
        if subs:
            narrowed = [s for s, left in solo_runs(subs).items() if key in left]
            if len(narrowed) == 1:
                blamed[key] = narrowed
    return apply_blame(placed, blamed), notes


@dataclass(frozen=True, slots=True)
class PackageVerdict:
    """One package of a `goleash test` run: how its tests ended and what they left."""

    package: str
    status: str  # ok | fail | build-failed | no-tests | not-checked
    leaks: PackageLeaks
    events: PackageEvents | None
    check: CheckResult | None  # what its test binary wrote (None: it never got that far)
    error: str | None = None  # go's own message when the package could not be built
    warnings: tuple[str, ...] = ()

    @property
    def failed_tests(self) -> list[str]:
        return self.events.failed_tests if self.events is not None else []

    @property
    def leaking_tests(self) -> list[str | None]:
        return list(dict.fromkeys(leak.test for leak in self.leaks.leaks))


@dataclass(frozen=True, slots=True)
class TestRunVerdict:
    """A whole `goleash test` run."""

    go_version: str
    packages: tuple[PackageVerdict, ...]
    warnings: tuple[str, ...] = ()

    @property
    def leaked(self) -> int:
        return sum(p.leaks.leaked for p in self.packages)

    @property
    def build_failed(self) -> list[PackageVerdict]:
        return [p for p in self.packages if p.status == "build-failed"]

    @property
    def failed(self) -> bool:
        return any(p.status in ("fail", "build-failed") for p in self.packages)

    @property
    def exit_code(self) -> int:
        """2 when a package could not be built, 1 when a test failed or leaked, else 0."""
        if self.build_failed:
            return 2
        return 1 if self.leaked or self.failed else 0


def judge_package(
    package: str,
    events: PackageEvents | None,
    results: Sequence[CheckResult],
    packs: IgnorePacks,
    *,
    rerun: Callable[[str], Sequence[CheckResult]] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> PackageVerdict:
    """The verdict on one package from go test's events and what its test binary left.

    ``rerun`` (run one test of this package alone) is called only when label, ancestry and
    timing leave goroutines unnamed.
    """
    if events is not None and events.build_failed:
        return PackageVerdict(package, "build-failed", PackageLeaks((), ()), events, None)
    status = "ok"
    if events is None or (events.action == "skip" and not events.tests):
        status = "no-tests"
    elif events.action == "fail" or events.failed_tests:
        status = "fail"
    if not results:
        warnings: tuple[str, ...] = ()
        if status != "no-tests":
            warnings = (
                "the test binary ended before goleash could check it (a panic, a timeout, or "
                "os.Exit outside TestMain): its goroutines were not checked",
            )
            status = "fail" if status == "fail" else "not-checked"
        return PackageVerdict(package, status, PackageLeaks((), ()), events, None, None, warnings)
    tops = events.top_level_tests if events is not None else []
    placed: list[Placed] = []
    notes: dict[str, str] = {}
    for result in results:
        placed.extend(place(result, tops))
    if rerun is not None and events is not None:
        placed, notes = settle_by_reruns(
            placed, packs, tops, events.subtests_of, rerun, workers=workers, progress=progress
        )
    placed = fall_back(placed)
    check = results[-1]
    snapshot = check.snapshot or Snapshot(groups=(), format="traceback")
    if len(results) > 1:
        groups = {g.signature: g for r in results if r.snapshot for g in r.snapshot.groups}
        snapshot = snapshot._replace(groups=tuple(groups.values()))
    leaks = leaks_of(placed, snapshot, packs, notes)
    warnings = tuple(w for r in results for w in r.warnings)
    return PackageVerdict(package, status, leaks, events, check, None, warnings)
