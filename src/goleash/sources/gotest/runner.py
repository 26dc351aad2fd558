"""Running `go test` with goleash's overlay: list the packages, run them, read what they left.

Side effects live here (processes, a temporary folder); everything else in the package is data.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goleash.errors import InputError
from goleash.sources.gotest.events import EventLog
from goleash.sources.gotest.overlay import Overlay, TestPackage, build_overlay

if TYPE_CHECKING:
    from goleash.sources.gotest.result import CheckResult

# Flags that choose which files a package has: `go list` must see them too.
_LIST_FLAGS_WITH_VALUE = frozenset({"-tags", "-mod", "-modfile"})
_LIST_BOOL_FLAGS = frozenset({"-race", "-msan", "-asan"})
# Flags goleash sets itself.
_OWN_FLAGS = frozenset({"-json", "-overlay"})
# Build flags (`go help build`): they go to `go test -c`; every other flag is the test binary's.
_BUILD_WITH_VALUE = frozenset(
    {
        "-tags", "-mod", "-modfile", "-gcflags", "-ldflags", "-asmflags", "-gccgoflags",
        "-buildmode", "-compiler", "-installsuffix", "-pkgdir", "-toolexec", "-pgo", "-p",
        "-covermode", "-coverpkg", "-overlay", "-exec",
    }
)  # fmt: skip
_BUILD_BOOL = frozenset(
    {"-race", "-msan", "-asan", "-cover", "-trimpath", "-a", "-n", "-x", "-work", "-linkshared"}
)
# Test-binary flags that take no value (the others take one, as `-flag value` or `-flag=value`).
_TEST_BOOL = frozenset({"-short", "-v", "-failfast", "-benchmem", "-fullpath", "-json"})
# The test flags (`go help testflag`) a re-run of one test keeps: what changes how it behaves.
# Profiles, coverage, benchmarks and fuzzing are left to the main run; -run and -count are set.
_RERUN_TEST_FLAGS = frozenset({"-short", "-timeout", "-cpu", "-parallel", "-skip", "-shuffle"})
_TEST_FLAGS = _TEST_BOOL | {
    "-bench", "-benchtime", "-blockprofile", "-blockprofilerate", "-count", "-cover",
    "-covermode", "-coverpkg", "-coverprofile", "-cpu", "-cpuprofile", "-fuzz", "-fuzzcachedir",
    "-fuzzminimizetime", "-fuzztime", "-list", "-memprofile", "-memprofilerate",
    "-mutexprofile", "-mutexprofilefraction", "-outputdir", "-parallel", "-run", "-shuffle",
    "-skip", "-timeout", "-trace", "-vet", "-artifacts",
}  # fmt: skip

EventHook = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class GoFlags:
    """The user's `go test` flags, sorted into what goleash passes where."""

    test: tuple[str, ...]  # for `go test`, without -json/-overlay
    listing: tuple[str, ...]  # for `go list`
    overlay: Path | None  # the user's own -overlay file, merged into goleash's
    has_count: bool
    has_run: bool

    @classmethod
    def parse(cls, flags: Sequence[str]) -> GoFlags:
        test: list[str] = []
        listing: list[str] = []
        overlay: Path | None = None
        has_count = has_run = False
        i = 0
        while i < len(flags):
            flag = flags[i]
            name, eq, value = flag.partition("=")
            bare = "-" + name.lstrip("-")
            takes_value = bare in _LIST_FLAGS_WITH_VALUE or bare == "-overlay"
            if takes_value and not eq and i + 1 < len(flags):
                value = flags[i + 1]
                i += 1
                pair = [flag, value]
            else:
                pair = [flag]
            i += 1
            if bare == "-overlay":
                overlay = Path(value)
                continue
            if bare in _OWN_FLAGS:
                continue
            has_count = has_count or bare in ("-count", "-test.count")
            has_run = has_run or bare in ("-run", "-test.run")
            test.extend(pair)
            if bare in _LIST_FLAGS_WITH_VALUE or bare in _LIST_BOOL_FLAGS:
                listing.extend(pair)
        return cls(tuple(test), tuple(listing), overlay, has_count, has_run)

    def for_binary(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The flags split for `go test -c` (build flags) and for running the binary directly to
        re-run one test: the go test flags that shape a test's behaviour, ``-test.``-prefixed,
        and the package's own flags (``-update``, ``-integration``) as they are."""
        build: list[str] = []
        binary: list[str] = []
        tokens = list(self.test)
        i = 0
        while i < len(tokens):
            flag = tokens[i]
            i += 1
            if not flag.startswith("-"):
                binary.append(flag)
                continue
            name, eq, _ = flag.partition("=")
            bare = "-" + name.lstrip("-").removeprefix("test.")
            value: list[str] = []
            takes = not eq and bare not in _BUILD_BOOL and bare not in _TEST_BOOL
            if (
                takes
                and i < len(tokens)
                and (bare in _BUILD_WITH_VALUE or not tokens[i].startswith("-"))
            ):
                value = [tokens[i]]
                i += 1
            if bare in _BUILD_WITH_VALUE or bare in _BUILD_BOOL:
                build += [flag, *value]
            elif bare in _RERUN_TEST_FLAGS:
                binary += ["-test." + flag.lstrip("-").removeprefix("test."), *value]
            elif bare not in _TEST_FLAGS:
                binary += [flag, *value]  # a flag of the package's own tests
        return tuple(build), tuple(binary)

    def without_run(self) -> tuple[str, ...]:
        """The test flags minus -run and -count, for re-running one test."""
        out: list[str] = []
        skip = False
        for flag in self.test:
            if skip:
                skip = False
                continue
            name = "-" + flag.partition("=")[0].lstrip("-")
            if name in ("-run", "-test.run", "-count", "-test.count"):
                skip = "=" not in flag
                continue
            out.append(flag)
        return tuple(out)


@dataclass
class GoTestRun:
    """One `go test` run under goleash: what go said and what each package left."""

    go_version: str
    packages: tuple[TestPackage, ...]
    events: EventLog
    results: dict[str, list[CheckResult]]
    returncode: int
    stderr: str
    overlay: Overlay
    warnings: list[str] = field(default_factory=list)


def cache_dir() -> Path:
    """goleash's cache folder, as the scan cache finds it: ``$GOLEASH_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/goleash``, else ``~/.cache/goleash``. (Not imported from the lint
    package, whose import costs more than this whole function.)"""
    explicit = os.environ.get("GOLEASH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "goleash"
    return Path.home() / ".cache" / "goleash"


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    more = len(lines) - 1
    return lines[0] + (f" (and {more} more line{'s' if more > 1 else ''})" if more else "")


class GoTest:
    """`go test` on some packages of the module in ``cwd``, with goleash's check added."""

    def __init__(
        self,
        go: Path,
        cwd: Path,
        flags: GoFlags,
        *,
        settle: float = 5.0,
        cache_dir: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.go = go
        self.cwd = cwd
        self.flags = flags
        self.settle = settle
        self.cache_dir = cache_dir
        self.base_env = dict(os.environ if env is None else env)
        self._tmp = tempfile.TemporaryDirectory(prefix="goleash-test-")
        self.tmp = Path(self._tmp.name)
        self.overlay_file = self.tmp / "overlay.json"
        self.packages: tuple[TestPackage, ...] = ()
        self.overlay: Overlay | None = None
        self.go_version = ""
        self._reruns = 0
        self._lock = threading.Lock()
        self._binaries: dict[str, Path | None] = {}
        self._binary_locks: dict[str, threading.Lock] = {}

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> GoTest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- preparing ---------------------------------------------------------------------------

    def _go(self, *args: str, check_msg: str) -> str:
        try:
            proc = subprocess.run(
                [str(self.go), *args],
                cwd=self.cwd,
                env=self.base_env,
                capture_output=True,
                text=True,
                errors="replace",
            )
        except OSError as e:
            raise InputError(f"cannot run {self.go}: {e.strerror or e}") from None
        if proc.returncode != 0:
            raise InputError(_first_line(proc.stderr) or f"{check_msg} failed")
        if not proc.stdout.strip() and "matched no packages" in proc.stderr:
            raise InputError(f"no packages to test: {_first_line(proc.stderr)}")
        return proc.stdout

    def prepare(self, patterns: Sequence[str]) -> tuple[TestPackage, ...]:
        """List the packages and write the overlay; InputError with go's message on failure."""
        # Both at once: each costs a go command start-up, and they do not depend on each other.
        with ThreadPoolExecutor(max_workers=1) as pool:
            env_future = pool.submit(
                self._go, "env", "-json", "GOROOT", "GOVERSION", "GOMOD", check_msg="go env"
            )
            fields = "ImportPath,Name,Dir,Standard,GoFiles,TestGoFiles,XTestGoFiles"
            try:
                out = self._go(
                    # -find: the files of each package, without resolving its imports
                    "list",
                    "-find",
                    f"-json={fields}",
                    *self.flags.listing,
                    *patterns,
                    check_msg="go list",
                )
            except InputError as e:
                env = json.loads(env_future.result())
                if env.get("GOMOD", "") in ("", os.devnull):
                    raise InputError(
                        f"{self.cwd} is not in a Go module (no go.mod here or above): {e}"
                    ) from None
                raise
            env = json.loads(env_future.result())
        goroot = Path(env.get("GOROOT", ""))
        self.go_version = env.get("GOVERSION", "")
        packages = []
        for obj in _json_stream(out):
            packages.append(
                TestPackage(
                    import_path=obj.get("ImportPath", ""),
                    name=obj.get("Name", ""),
                    dir=Path(obj.get("Dir", "")),
                    go_files=tuple(obj.get("GoFiles") or ()),
                    test_go_files=tuple(obj.get("TestGoFiles") or ()),
                    xtest_go_files=tuple(obj.get("XTestGoFiles") or ()),
                    standard=bool(obj.get("Standard")),
                )
            )
        if not packages:
            raise InputError(f"no packages to test in {' '.join(patterns) or '.'}")
        self.packages = tuple(packages)
        self.overlay = build_overlay(goroot, self.packages, self.cache_dir / "gotest")
        self.overlay.write(self.overlay_file, self.flags.overlay)
        return self.packages

    def _env(self, out_dir: Path) -> dict[str, str]:
        env = dict(self.base_env)
        env["GOLEASH_TEST_OUT"] = str(out_dir)
        env["GOLEASH_TEST_SETTLE"] = repr(self.settle)
        # Go 1.26+ prints pprof labels in traceback headers with this; older ones ignore it.
        godebug = env.get("GODEBUG", "")
        env["GODEBUG"] = f"{godebug},tracebacklabels=1" if godebug else "tracebacklabels=1"
        return env

    # --- running -----------------------------------------------------------------------------

    def run(
        self, on_event: EventHook | None = None, on_stderr: Callable[[str], None] | None = None
    ) -> GoTestRun:
        """Run the tests of every listed package once; events go to ``on_event`` as they come."""
        assert self.overlay is not None, "prepare() first"
        out_dir = self.tmp / "main"
        out_dir.mkdir()
        args = [str(self.go), "test", "-json", "-overlay", str(self.overlay_file)]
        if not self.flags.has_count:
            args.append("-count=1")  # a cached result would skip the run, and the check
        args += [*self.flags.test, *(p.import_path for p in self.packages)]
        log = EventLog()
        stderr_lines: list[str] = []
        try:
            proc = subprocess.Popen(
                args,
                cwd=self.cwd,
                env=self._env(out_dir),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                bufsize=1,
            )
        except OSError as e:
            raise InputError(f"cannot run {self.go}: {e.strerror or e}") from None

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                stderr_lines.append(line)
                if on_stderr is not None:
                    on_stderr(line)

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            event = log.feed(line.rstrip("\n"))
            if event is not None and on_event is not None:
                on_event(event)
        proc.wait()
        reader.join()
        from goleash.sources.gotest.result import read_results

        results = {
            p.import_path: read_results(out_dir, p.key) for p in self.packages if p.has_tests
        }
        return GoTestRun(
            go_version=self.go_version,
            packages=self.packages,
            events=log,
            results=results,
            returncode=proc.returncode,
            stderr="".join(stderr_lines),
            overlay=self.overlay,
            warnings=list(self.overlay.warnings),
        )

    def rerun(self, package: TestPackage, run: str) -> list[CheckResult]:
        """Run the tests ``run`` (a -run pattern) of one package alone; what they left."""
        assert self.overlay is not None, "prepare() first"
        with self._lock:
            self._reruns += 1
            out_dir = self.tmp / f"rerun-{self._reruns}"
        out_dir.mkdir()
        binary = self._binary(package)
        _, binary_flags = self.flags.for_binary()
        if binary is not None:
            # As go test runs it: in the package's folder, with its default timeout.
            timeout = (
                ()
                if any(f.startswith("-test.timeout") for f in binary_flags)
                else ("-test.timeout=10m0s",)
            )
            args = [str(binary), "-test.paniconexit0", *timeout, "-test.count=1"]
            args += [f"-test.run={run}", *binary_flags]
            cwd = package.dir
        else:
            args = [str(self.go), "test", "-overlay", str(self.overlay_file), "-count=1"]
            args += ["-run", run, *self.flags.without_run(), package.import_path]
            cwd = self.cwd
        try:
            subprocess.run(
                args,
                cwd=cwd,
                env=self._env(out_dir),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as e:
            raise InputError(f"cannot run {args[0]}: {e.strerror or e}") from None
        from goleash.sources.gotest.result import read_results

        return read_results(out_dir, package.key)

    def _binary(self, package: TestPackage) -> Path | None:
        """The package's test binary with goleash's check, built once for all its re-runs
        (one link instead of one per test); None if it cannot be built that way."""
        with self._lock:
            lock = self._binary_locks.setdefault(package.import_path, threading.Lock())
        with lock:
            if package.import_path in self._binaries:
                return self._binaries[package.import_path]
            build_flags, _ = self.flags.for_binary()
            out = self.tmp / "bin" / f"{package.key}.test"
            out.parent.mkdir(exist_ok=True)
            args = [str(self.go), "test", "-c", "-o", str(out), "-overlay", str(self.overlay_file)]
            args += [*build_flags, package.import_path]
            proc = subprocess.run(
                args, cwd=self.cwd, env=self.base_env, capture_output=True, text=True
            )
            built = out if proc.returncode == 0 and out.is_file() else None
            self._binaries[package.import_path] = built
            return built


def _json_stream(text: str) -> Iterable[dict[str, Any]]:
    """The objects of a stream of concatenated JSON values (what `go list -json` prints)."""
    decoder = json.JSONDecoder()
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        obj, i = decoder.raw_decode(text, i)
        if isinstance(obj, dict):
            yield obj


def run_pattern(test: str) -> str:
    """The -run pattern that selects exactly one test or subtest by its full name."""
    return "/".join(f"^{_quote_meta(part)}$" for part in test.split("/"))


def _quote_meta(text: str) -> str:
    # Go's regexp.QuoteMeta: a backslash before every special character.
    return "".join("\\" + c if c in r"\.+*?()|[]{}^$" else c for c in text)


def build_error(run: GoTestRun, import_path: str) -> str:
    """Go's own message for a package that did not build: its first error line."""
    events = run.events.packages.get(import_path)
    candidates: list[str] = []
    if events is not None:
        candidates += events.build_output
    candidates += run.events.stray
    candidates += run.stderr.splitlines()
    lines = [ln.strip() for text in candidates for ln in text.splitlines()]
    errors = [ln for ln in lines if ln and not ln.startswith(("#", "FAIL", "ok "))]
    if not errors:
        return "build failed"
    more = len(errors) - 1
    return "build failed: " + errors[0] + (f" (and {more} more)" if more else "")
