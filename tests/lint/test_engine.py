"""The scan engine on real Go trees written to disk: discovery, versions, suppression, config,
bad input, parse errors, parallel determinism, the cache and the same-package summaries.

A throwaway rule (not part of the package) flags every ``go`` statement, so these tests do not
depend on the real rules.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goleash.errors import InputError
from goleash.lint import engine
from goleash.lint.config import ScanConfig, config_from_table, find_config_file, load_config
from goleash.lint.discovery import parse_go_version, read_go_mod
from goleash.lint.engine import ScanResult, scan
from goleash.lint.package import PackageIndex
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import captures, parse
from goleash.model import Finding
from goleash.toolchain import find_go

DOC = RuleDoc(what="w", why="y", example="e", fix="stop doing that")


def _go_statements(ctx: FileContext) -> Iterator[Finding]:
    for node in captures("(go_statement) @g", ctx.tree.root_node).get("g", []):
        yield GO_RULE.finding(ctx, node, "a go statement")


def _old_go_only(ctx: FileContext) -> Iterator[Finding]:
    for node in captures("(go_statement) @g", ctx.tree.root_node).get("g", []):
        yield OLD_RULE.finding(ctx, node, "old go")


def _crash(ctx: FileContext) -> Iterator[Finding]:
    raise RuntimeError("boom")
    yield  # pragma: no cover


GO_RULE = Rule("go-statement", "go statement", "error", DOC, _go_statements)
OLD_RULE = Rule("old-go", "before 1.23", "warning", DOC, _old_go_only, max_go=(1, 23))
CRASH_RULE = Rule("crash", "always fails", "error", DOC, _crash)

GO_FILE = """package p

func f() {
\tgo func() {}()
}
"""


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def run(paths: list[Path] | Path, **options: Any) -> ScanResult:
    options.setdefault("rules", (GO_RULE,))
    options.setdefault("use_cache", False)
    paths = paths if isinstance(paths, list) else [paths]
    return scan(paths, config=ScanConfig(**options))


def files_of(result: ScanResult) -> list[str]:
    return sorted({Path(f.file).as_posix() for f in result.findings})


# --- discovery ------------------------------------------------------------------------------


def test_discovery_walks_folders_and_skips_vendor_testdata_hidden_and_underscore(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "go.mod": "module example.com/m\n\ngo 1.22\n",
            "a.go": GO_FILE,
            "sub/deep/b.go": GO_FILE,
            "vendor/v/v.go": GO_FILE,
            "testdata/t.go": GO_FILE,
            ".hidden/h.go": GO_FILE,
            "_build/u.go": GO_FILE,
            "notes.txt": "not go",
        },
    )
    result = run(tmp_path)
    assert result.files_scanned == 2
    shown = files_of(result)
    assert [Path(s).relative_to(tmp_path).as_posix() for s in shown] == ["a.go", "sub/deep/b.go"]
    assert result.warnings == []


def test_a_testdata_folder_named_on_the_command_line_is_scanned(tmp_path: Path) -> None:
    write(tmp_path, {"testdata/t.go": GO_FILE})
    assert run(tmp_path / "testdata").files_scanned == 1


def test_paths_are_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"pkg/a.go": GO_FILE})
    monkeypatch.chdir(tmp_path)
    result = run(Path("pkg"))
    assert [f.file for f in result.findings] == ["pkg/a.go"]
    assert (result.findings[0].line, result.findings[0].column) == (4, 2)


def test_test_files_are_lower_severity_or_excluded(tmp_path: Path) -> None:
    write(tmp_path, {"a.go": GO_FILE, "a_test.go": GO_FILE})
    lower = {Path(f.file).name: f.severity for f in run(tmp_path).findings}
    assert lower == {"a.go": "error", "a_test.go": "warning"}
    same = {Path(f.file).name: f.severity for f in run(tmp_path, tests="same").findings}
    assert same == {"a.go": "error", "a_test.go": "error"}
    excluded = run(tmp_path, tests="exclude")
    assert files_of(excluded) == [str(tmp_path / "a.go")]
    assert excluded.files_scanned == 1


def test_generators_excluded_from_builds_report_at_info(tmp_path: Path) -> None:
    """A `//go:build ignore` file (a `go run gen.go` generator) is never part of the program."""
    generator = "//go:build ignore\n\n" + GO_FILE.replace("package p", "package main")
    mentioned = "// not a constraint: //go:build ignore\n" + GO_FILE
    write(tmp_path, {"a.go": GO_FILE, "gen.go": generator, "b.go": mentioned})
    found = {Path(f.file).name: f.severity for f in run(tmp_path).findings}
    assert found == {"a.go": "error", "gen.go": "info", "b.go": "error"}


def test_go_package_patterns_scan_the_folder_recursively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.go": GO_FILE, "sub/b.go": GO_FILE})
    monkeypatch.chdir(tmp_path)
    plain = [Path(f.file).name for f in run(Path(".")).findings]
    assert plain == ["a.go", "b.go"]
    assert [Path(f.file).name for f in run(Path("./...")).findings] == plain
    assert [Path(f.file).name for f in run(Path("sub/...")).findings] == ["b.go"]


def test_a_folder_without_go_files_says_so(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "# not Go\n"})
    result = run(tmp_path)
    assert result.findings == [] and result.files_scanned == 0
    assert any("no Go files found" in w for w in result.warnings)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        run(tmp_path / "nope")


# --- Go version from go.mod -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version"),
    [("1.22", (1, 22)), ("1.22.3", (1, 22)), ("1.27rc1", (1, 27)), ("1.21beta2", (1, 21))],
)
def test_go_versions_are_read_like_the_go_command(text: str, version: tuple[int, int]) -> None:
    assert parse_go_version(text) == version


def test_go_mod_without_go_line_is_valid_and_says_nothing() -> None:
    assert read_go_mod(b"module example.com/m\n\nrequire (\n\tx v1.0.0\n)\n") == (None, None)


def test_nearest_go_mod_gates_version_ranged_rules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "old/go.mod": "module example.com/old\n\ngo 1.22.3\n",
            "old/a.go": GO_FILE,
            "old/inner/b.go": GO_FILE,
            "old/new/go.mod": "module example.com/new\n\ngo 1.23 // comment\n",
            "old/new/c.go": GO_FILE,
        },
    )
    result = run(tmp_path, rules=(OLD_RULE,))
    assert [Path(f).relative_to(tmp_path).as_posix() for f in files_of(result)] == [
        "old/a.go",
        "old/inner/b.go",
    ]


def test_broken_go_mod_is_a_warning_and_the_version_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/m\n\ngo banana\n", "a.go": GO_FILE})
    result = run(tmp_path, rules=(OLD_RULE,))
    assert len(result.findings) == 1  # unknown version: the rule applies
    assert len(result.warnings) == 1
    assert "broken go.mod" in result.warnings[0]
    assert "invalid go version" in result.warnings[0]


# --- suppression ----------------------------------------------------------------------------

SUPPRESSED = """package p

func f() {
\t//goleash:ignore go-statement the goroutine ends with the process
\tgo func() {}()
\tgo func() {}() //goleash:ignore all reason
\tgo func() {}() //goleash:ignore other-rule not this one
\tgo func() {}() //nolint:goleash
\tgo func() {}() //nolint:errcheck,goleash-go-statement // reason
\tgo func() {}() //nolint:errcheck
\tgo func() {}() //nolint
\tx := 1 //nolint
\tgo func() {}()
\t_ = x
}
"""


def test_suppression_comments_on_or_above_the_line(tmp_path: Path) -> None:
    write(tmp_path, {"a.go": SUPPRESSED})
    lines = [f.line for f in run(tmp_path).findings]
    # 7: another rule's id; 10: another linter's nolint; 13: a trailing comment on the line
    # above covers only its own line.
    assert lines == [7, 10, 13]


# --- configuration --------------------------------------------------------------------------


def test_config_file_disables_excludes_and_changes_severity(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".goleash.toml": (
                '[scan]\ndisable = ["old-go"]\nexclude = ["gen/*", "*.pb.go"]\n'
                'tests = "same"\n[scan.severity]\ngo-statement = "info"\n'
            ),
            "a.go": GO_FILE,
            "a_test.go": GO_FILE,
            "gen/g.go": GO_FILE,
            "x.pb.go": GO_FILE,
        },
    )
    found = find_config_file(tmp_path / "a.go")
    assert found == tmp_path / ".goleash.toml"
    config = load_config(found, known_rules=["go-statement", "old-go"])
    assert config.warnings == ()
    result = scan(
        [tmp_path],
        config=ScanConfig(**{**config.__dict__, "rules": (GO_RULE, OLD_RULE), "use_cache": False}),
    )
    assert sorted((Path(f.file).name, f.rule, f.severity) for f in result.findings) == [
        ("a.go", "go-statement", "info"),
        ("a_test.go", "go-statement", "info"),
    ]


def test_pyproject_tool_table_is_found_walking_up(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n[tool.goleash.scan]\nenable = ["nope"]\n',
            "svc/deep/a.go": GO_FILE,
        },
    )
    found = find_config_file(tmp_path / "svc" / "deep")
    assert found == tmp_path / "pyproject.toml"
    config = load_config(found, known_rules=["go-statement"])
    assert config.enable == ("nope",)
    assert len(config.warnings) == 1 and "unknown rule 'nope'" in config.warnings[0]


def test_invalid_toml_is_an_input_error(tmp_path: Path) -> None:
    bad = write(tmp_path, {".goleash.toml": "[scan\nenable = 1\n"}) / ".goleash.toml"
    with pytest.raises(InputError, match="invalid TOML"):
        load_config(bad, known_rules=[])


def test_config_values_of_the_wrong_kind_are_input_errors(tmp_path: Path) -> None:
    bad = write(tmp_path, {".goleash.toml": '[scan]\ntests = "sometimes"\n'}) / ".goleash.toml"
    with pytest.raises(InputError, match=r"scan\.tests"):
        load_config(bad, known_rules=[])


# --- bad input ------------------------------------------------------------------------------


def test_non_go_binary_non_utf8_and_unreadable_files_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.go": GO_FILE,
            "bin.go": b"\x7fELF\x00\x01\x02" + bytes(range(256)),
            "latin1.go": "package p\n// caf\xe9\n".encode("latin-1"),
            "notes.txt": "hello",
        },
    )
    os.symlink(tmp_path / "gone.go", tmp_path / "dangling.go")
    result = run([tmp_path, tmp_path / "notes.txt"])
    assert result.files_scanned == 1
    assert len(result.findings) == 1
    text = "\n".join(result.warnings)
    assert len(result.warnings) == 4, text
    assert "bin.go: binary file" in text
    assert "latin1.go: not UTF-8" in text
    assert "dangling.go: cannot read" in text
    assert "notes.txt: not a Go file" in text


def test_a_failing_rule_is_a_warning_and_other_rules_still_report(tmp_path: Path) -> None:
    write(tmp_path, {"a.go": GO_FILE})
    result = run(tmp_path, rules=(CRASH_RULE, GO_RULE))
    assert [f.rule for f in result.findings] == ["go-statement"]
    assert any("rule crash failed (RuntimeError: boom)" in w for w in result.warnings)


GENERIC_METHODS = """package p

type R struct{}

// Go 1.27 generic methods: the grammar does not know them yet.
func (r *R) N[T any](x T) T { return x }

func g() {
\tgo func() {}()
}
"""


def test_files_with_syntax_the_grammar_lacks_are_counted_and_still_scanned(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"go.mod": "module example.com/m\n\ngo 1.27\n", "r.go": GENERIC_METHODS})
    result = run(tmp_path)
    assert len(result.parse_errors) == 1
    path, errors = result.parse_errors[0]
    assert path.endswith("r.go") and errors >= 1
    assert [f.line for f in result.findings] == [9]


# --- parallel work, determinism and the cache -----------------------------------------------


def _many_packages(root: Path, n: int = 12) -> Path:
    files: dict[str, str | bytes] = {"go.mod": "module example.com/m\n\ngo 1.22\n"}
    for i in range(n):
        body = "".join(f"func f{j}() {{\n\tgo func() {{}}()\n}}\n\n" for j in range(i + 1))
        files[f"p{i:02d}/a.go"] = f"package p{i}\n\n{body}"
        files[f"p{i:02d}/a_test.go"] = f"package p{i}\n\nfunc t() {{\n\tgo func() {{}}()\n}}\n"
    return write(root, files)


def test_parallel_and_in_process_scans_give_the_same_ordered_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _many_packages(tmp_path)
    single = run(tmp_path, jobs=1)
    monkeypatch.setattr(engine, "_IN_PROCESS_LINES", 0)  # force the process pool
    parallel = run(tmp_path, jobs=2)
    again = run(tmp_path, jobs=2)
    assert single.findings == parallel.findings == again.findings
    assert len(single.findings) == sum(range(1, 13)) + 12
    keys = [(f.file, f.line, f.column, f.rule) for f in single.findings]
    assert keys == sorted(keys)


def test_cache_returns_the_same_results_and_notices_changes(tmp_path: Path) -> None:
    tree = _many_packages(tmp_path / "src", n=4)
    cache_dir = tmp_path / "cache"
    first = run(tree, use_cache=True, cache_dir=cache_dir)
    second = run(tree, use_cache=True, cache_dir=cache_dir)
    assert (first.cached_packages, second.cached_packages) == (0, 4)
    assert second.findings == first.findings
    assert second.lines_scanned == first.lines_scanned
    (tree / "p01" / "a.go").write_text(GO_FILE.replace("package p", "package p1"))
    third = run(tree, use_cache=True, cache_dir=cache_dir)
    assert third.cached_packages == 3
    assert len(third.findings) == len(first.findings) - 1
    # Other options, other results: the severity override is part of the key.
    fourth = run(tree, use_cache=True, cache_dir=cache_dir, severity={"go-statement": "info"})
    assert fourth.cached_packages == 0
    assert {f.severity for f in fourth.findings} == {"info"}


def test_default_cache_is_the_user_cache_never_the_scanned_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even when the scan runs from the project root: nothing is written into the scanned tree.
    tree = write(
        tmp_path / "proj", {"go.mod": "module example.com/m\n\ngo 1.22\n", "a.go": GO_FILE}
    )
    monkeypatch.delenv("GOLEASH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tree)
    run(tree, use_cache=True)
    assert sorted(p.name for p in tree.iterdir()) == ["a.go", "go.mod"]
    assert (tmp_path / "xdg" / "goleash" / ".gitignore").read_text() == "*\n"
    assert run(tree, use_cache=True).cached_packages == 1


def test_cache_folder_from_the_environment_or_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = write(tmp_path / "proj", {"go.mod": "module example.com/m\n", "a.go": GO_FILE})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GOLEASH_CACHE_DIR", str(tmp_path / "env-cache"))
    run(tree, use_cache=True)
    assert (tmp_path / "env-cache" / ".gitignore").is_file()
    assert not (tmp_path / "xdg").exists()
    config = config_from_table(
        {"scan": {"cache-dir": ".cache/goleash"}}, path=tree / ".goleash.toml", known_rules=[]
    )
    assert config.cache_dir == (tree / ".cache" / "goleash").resolve()
    assert not config.warnings


@pytest.mark.slow
def test_rerun_on_an_unchanged_tree_is_at_least_5x_faster(tmp_path: Path) -> None:
    tree = find_go().parent.parent / "src" / "net" / "http"
    if not tree.is_dir():
        pytest.skip("GOROOT source not installed")
    begin = time.perf_counter()
    first = run(tree, use_cache=True, cache_dir=tmp_path, tests="exclude")
    cold = time.perf_counter() - begin
    begin = time.perf_counter()
    second = run(tree, use_cache=True, cache_dir=tmp_path, tests="exclude")
    warm = time.perf_counter() - begin
    assert second.findings == first.findings
    assert second.cached_packages == second.packages > 0
    assert cold / warm >= 5, f"first {cold:.3f} s, second {warm:.3f} s"


# --- same-package summaries -----------------------------------------------------------------

HELPERS = """package p

import (
\t"log"
\t"net/http"
\t"os"
\t"sync"
)

func drain(resp *http.Response) { defer resp.Body.Close() }
func closeIt(label string, c interface{ Close() error }) { _ = c.Close() }
func (s *S) release(cancel func()) { cancel() }
func worker(n int, wg *sync.WaitGroup) { defer wg.Done() }
func die(msg string) { log.Fatalf("fatal: %s", msg) }
func dieLater(msg string) { println(msg); die(msg) }
func exit() { os.Exit(2) }
func serve() { for { println() } }
func loopWithBreak() { for { break } }
func maybe(ok bool) { if ok { return }; panic("no") }
func selectForever() { select {} }
func unrelated(x int) int { return x }

type S struct{}
"""


def _calls_to_exit_helpers(ctx: FileContext) -> Iterator[Finding]:
    for node in captures("(call_expression function: (identifier) @f)", ctx.tree.root_node).get(
        "f", []
    ):
        if ctx.package is not None and ctx.package.never_returns(ctx.text(node)):
            yield EXIT_RULE.finding(ctx, node, "never returns")


EXIT_RULE = Rule("exit-helper", "calls a helper that exits", "info", DOC, _calls_to_exit_helpers)


def test_a_file_named_alone_still_sees_its_package_helpers(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.go": "package p\n\nfunc f() {\n\tdie()\n}\n",
            "b.go": 'package p\n\nimport "os"\n\nfunc die() { os.Exit(1) }\n',
        },
    )
    result = run(tmp_path / "a.go", rules=(EXIT_RULE,))
    assert result.files_scanned == 1
    assert [(Path(f.file).name, f.line) for f in result.findings] == [("a.go", 4)]


def test_package_index_summarises_helpers_one_level() -> None:
    source = HELPERS.encode()
    index = PackageIndex([(source, parse(source))])
    assert index.closes_argument("drain", 0)
    assert index.closes_argument("closeIt", 1) and not index.closes_argument("closeIt", 0)
    assert index.calls_argument("release", 0)
    assert index.done_argument("worker", 1) and not index.done_argument("worker", 0)
    for name in ("die", "dieLater", "exit", "serve", "selectForever"):
        assert index.never_returns(name), name
    for name in ("loopWithBreak", "maybe", "unrelated", "drain", "missing"):
        assert not index.never_returns(name), name
    assert index.summary("missing") is None


# --- modern syntax, files not fully read, tools and examples ---------------------------------

MODERN = """package p

import "sync"

type Server struct {
\tmu sync.Mutex
\tn  *int
}

func (s *Server) Start(v int) {
\ts.n = new(v + 1)
\tq := new(int64(3))
\tr := new(map[string]int)
\t_, _ = q, r
}

func (s *Server) Stop() {
\ts.mu.Lock()
\tif s.n == nil {
\t\treturn
\t}
\ts.mu.Unlock()
}
"""


def test_go_1_26_new_expr_parses_and_the_file_is_analysed(tmp_path: Path) -> None:
    write(tmp_path, {"s.go": MODERN})
    result = run(tmp_path, rules=None)
    assert result.parse_errors == []
    assert [(f.rule, f.line) for f in result.findings] == [("missing-unlock", 18)]
    # The source shown to users is the file's own: positions did not move.
    assert result.findings[0].column == 2


def test_functions_the_grammar_cannot_read_are_named_and_not_analysed(tmp_path: Path) -> None:
    broken = MODERN.replace("\tq := new(int64(3))\n", "\tq := [3]int{1, 2, 3}[1:2:\n")
    broken += "\nfunc (s *Server) Leak() {\n\ts.mu.Lock()\n\tif s.n == nil {\n\t\treturn\n"
    broken += "\t}\n\ts.mu.Unlock()\n}\n"
    write(tmp_path, {"s.go": broken})
    result = run(tmp_path, rules=None)
    path = str(tmp_path / "s.go")
    assert [p for p, _ in result.parse_errors] == [path]
    first_line, skipped = result.unparsed[path]
    assert first_line in (12, 13)  # the bad line, or where the grammar noticed
    assert skipped == ("method (*Server).Start",)
    # Functions that parsed are still analysed.
    assert sorted(f.line for f in result.findings) == [18, 26]


def test_harmless_rules_are_info_in_package_main_and_examples(tmp_path: Path) -> None:
    client = 'package {pkg}\n\nimport "net/http"\n\nvar C = &http.Client{{}}\n'
    write(
        tmp_path,
        {
            "svc/c.go": client.format(pkg="svc"),
            "cmd/tool/main.go": client.format(pkg="main"),
            "examples/basic/c.go": client.format(pkg="basic"),
        },
    )
    result = run(tmp_path, rules=None)
    severities = {Path(f.file).parent.name: f.severity for f in result.findings}
    assert severities == {"svc": "warning", "tool": "info", "basic": "info"}
