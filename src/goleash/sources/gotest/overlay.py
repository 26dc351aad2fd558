"""The `go test -overlay` file that adds goleash's check to each package, leaving the tree as is.

Three kinds of replacement, all keyed by the path the go command would read:

- ``$GOROOT/src/testing/testing.go`` with one call added at the top of ``tRunner`` (on the same
  line, so every line number stays), and a new file in package testing (``hooks.go``): each
  test and subtest labels its goroutine with its number, and the label is inherited by every
  goroutine it starts.
- A new ``_test.go`` file in each package with tests (``check.go``): a TestMain that notes the
  goroutines before the tests and writes those left after them.
- For a package with its own TestMain: that file, with the function renamed and ``os.Exit``
  routed through goleash so the package's teardown runs before the check (again line for
  line).

Generated files live in goleash's cache folder under a name made of their content, so the go
build cache sees the same inputs on every run and compiles them once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from goleash.errors import InputError

# tRunner's signature has not changed since Go 1.7.
_TRUNNER = re.compile(rb"^func tRunner\(t \*T, fn func\(t \*T\)\) \{[ \t]*$", re.M)
_PACKAGE = re.compile(rb"^package[ \t]+(\w+)", re.M)
_TESTMAIN = re.compile(rb"^func TestMain\(\s*\w+\s+\*\s*(\w+)\.M\s*\)", re.M)
_OS_IMPORT = re.compile(rb'^\s*(?:import\s+)?(?:(\w+)\s+)?"os"\s*$', re.M)
CHECK_NAME = "goleash_check_test.go"


@dataclass(frozen=True, slots=True)
class TestPackage:
    """What `go list` says about one package to test."""

    import_path: str
    name: str
    dir: Path
    go_files: tuple[str, ...] = ()
    test_go_files: tuple[str, ...] = ()
    xtest_go_files: tuple[str, ...] = ()
    standard: bool = False  # a package of Go's standard library

    @property
    def has_tests(self) -> bool:
        return bool(self.test_go_files or self.xtest_go_files)

    @property
    def key(self) -> str:
        """The name of this package's result files (the test binary knows no import path)."""
        return hashlib.blake2b(self.import_path.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Overlay:
    """The overlay to pass to `go test`, and what could not be arranged."""

    replace: Mapping[str, str]
    labels: bool  # tests label their goroutines (tRunner was found and patched)
    own_testmain: tuple[str, ...] = ()  # import paths of packages whose TestMain was wrapped
    warnings: tuple[str, ...] = ()

    def write(self, path: Path, user_overlay: Path | None = None) -> Path:
        """Write the overlay JSON (merged with the user's own ``-overlay`` file) to ``path``."""
        replace = dict(self.replace)
        if user_overlay is not None:
            try:
                theirs = json.loads(user_overlay.read_text("utf-8")).get("Replace", {})
            except (OSError, ValueError, AttributeError) as e:
                raise InputError(f"{user_overlay}: cannot read the -overlay file: {e}") from None
            replace.update(theirs)
        path.write_text(json.dumps({"Replace": replace}, indent=1), "utf-8")
        return path


def _template(name: str) -> bytes:
    # The templates are package data beside this module (importlib.resources would cost more
    # start-up time than the whole overlay).
    return Path(__file__).with_name(name).read_bytes()


def _store(folder: Path, data: bytes, suffix: str = ".go") -> str:
    """Keep ``data`` in ``folder`` under a name made of its content; return the path."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    path = folder / f"{digest}{suffix}"
    if path.exists():
        return str(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A file of our own, renamed into place: runs in parallel may store the same content.
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        raise InputError(f"cannot write goleash's overlay files in {folder}: {e}") from None
    return str(path)


def patch_trunner(source: bytes) -> bytes | None:
    """testing.go with ``goleashEnter(t);`` at the top of tRunner, or None if not found."""
    m = _TRUNNER.search(source)
    if m is None:
        return None
    return source[: m.end()] + b" goleashEnter(t);" + source[m.end() :]


def wrap_testmain(source: bytes) -> bytes | None:
    """A file with the package's TestMain renamed and its ``os.Exit`` calls routed through
    goleash, line for line; None when the file has no TestMain."""
    m = _TESTMAIN.search(source)
    if m is None:
        return None
    out = source[: m.start()] + b"func goleashUserTestMain(" + source[m.start() + 14 :]
    return route_exit(out) or out


def route_exit(source: bytes) -> bytes | None:
    """A test file with its ``os.Exit`` calls routed through goleash (so the check runs before
    the process ends), line for line; None when it calls no ``os.Exit``."""
    imp = _OS_IMPORT.search(source)
    if imp is None:
        return None
    os_name = imp.group(1) or b"os"
    if os_name in (b"_", b"."):
        return None
    exit_call = re.compile(rb"\b" + re.escape(os_name) + rb"\.Exit\(")
    out, n = exit_call.subn(b"goleashExit(", source)
    if not n:
        return None
    # The import may be used for nothing else now; a line at the end keeps it used without
    # moving any line above.
    return out.rstrip(b"\n") + b"\n\nvar _ = " + os_name + b".Exit\n"


def check_file(package_clause: str, key: str, wraps_user_main: bool) -> bytes:
    """The check file for one package, from the ``check.go`` template."""
    src = _template("check.go")
    src = _PACKAGE.sub(b"package " + package_clause.encode(), src, count=1)
    src = src.replace(b'"PACKAGE-KEY"', json.dumps(key).encode(), 1)
    if wraps_user_main:
        src = src.replace(
            b"var goleashUserMain func(*goleashtesting.M)",
            b"var goleashUserMain = goleashUserTestMain",
            1,
        )
    return src


def _package_clause(path: Path) -> str | None:
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return None
    m = _PACKAGE.search(head)
    return m.group(1).decode() if m else None


def _is_xtest(path: Path) -> bool:
    clause = _package_clause(path)
    return clause is not None and clause.endswith("_test")


def build_overlay(goroot: Path, packages: Sequence[TestPackage], folder: Path) -> Overlay:
    """The replacements that add goleash's check to every package with tests."""
    replace: dict[str, str] = {}
    warnings: list[str] = []
    testing_dir = goroot / "src" / "testing"
    try:
        testing_go = (testing_dir / "testing.go").read_bytes()
    except OSError as e:
        raise InputError(f"cannot read the Go toolchain's testing package: {e}") from None
    patched = patch_trunner(testing_go)
    if patched is not None:
        replace[str(testing_dir / "testing.go")] = _store(folder, patched)
    else:
        warnings.append(
            "this Go version's testing package has no tRunner as goleash knows it: tests are "
            "not labelled, leaks are named by ancestry and re-runs only"
        )
    replace[str(testing_dir / "goleash_hooks.go")] = _store(folder, _template("hooks.go"))

    wrapped: list[str] = []
    for pkg in packages:
        if not pkg.has_tests:
            continue
        main_file: Path | None = None
        for name in (*pkg.test_go_files, *pkg.xtest_go_files):
            path = pkg.dir / name
            try:
                source = path.read_bytes()
            except OSError:
                continue
            rewritten = wrap_testmain(source)
            if rewritten is not None:
                main_file = path
                replace[str(path)] = _store(folder, rewritten)
                wrapped.append(pkg.import_path)
                break
        if main_file is not None and pkg.standard and not _is_xtest(main_file):
            # The check imports os, reflect, runtime/pprof…, which may import this very package:
            # inside it, that is an import cycle.
            del replace[str(main_file)]
            wrapped.remove(pkg.import_path)
            warnings.append(f"{pkg.import_path}: its TestMain is inside the package; not checked")
            continue
        if main_file is not None:
            clause = _package_clause(main_file)
            # Helpers of the same test package may end the process for TestMain too.
            for name in (*pkg.test_go_files, *pkg.xtest_go_files):
                path = pkg.dir / name
                if path == main_file or _package_clause(path) != clause:
                    continue
                routed = route_exit(path.read_bytes())
                if routed is not None:
                    replace[str(path)] = _store(folder, routed)
        elif (pkg.go_files or pkg.test_go_files) and not pkg.standard:
            clause = pkg.name
        elif pkg.standard:
            clause = pkg.name + "_test"  # outside the package: no import cycle possible
        else:
            clause = _package_clause(pkg.dir / pkg.xtest_go_files[0])
        if clause is None:
            warnings.append(f"{pkg.import_path}: cannot read its package clause; not checked")
            continue
        target = pkg.dir / CHECK_NAME
        n = 1
        while target.exists():  # never shadow a real file
            n += 1
            target = pkg.dir / f"goleash_check{n}_test.go"
        replace[str(target)] = _store(folder, check_file(clause, pkg.key, main_file is not None))
    return Overlay(replace, patched is not None, tuple(wrapped), tuple(warnings))
