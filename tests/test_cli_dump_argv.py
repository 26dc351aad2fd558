"""`goleash dump` parsed without click gives exactly what click gives.

Every argument form below is run twice through ``goleash.cli.main``: as it is (the hand parser
of ``goleash.cli.dump_argv`` takes the forms it knows) and with the hand parser switched off
(click parses everything). Standard output, standard error, the exit status and any report
file must be the same, byte for byte; the forms a user types most must take the fast way.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from dumpgen import generate
from goleash.cli import dump_argv, main
from goleash.cli.dump import command

HERE = Path(__file__).parent
# A dump of tests/go/tracebackshapes: with that source at hand, the explain path runs.
LOCAL = HERE / "fixtures" / "dumps" / "go1.27" / "traceback.debug2.txt"
LOCAL_SOURCE = HERE / "go" / "tracebackshapes"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("argv")
    tiny = d / "tiny.txt"
    tiny.write_bytes(generate(20, 8, seed=1))
    cfg = d / "cfg.toml"
    cfg.write_text('[[dump.ignore]]\nname = "ours"\nprefix = "net/http."\nwhere = "any"\n')
    bad_cfg = d / "bad.toml"
    bad_cfg.write_text("[dump\n")
    (d / "srcdir").mkdir()
    return {"tiny": tiny, "cfg": cfg, "bad_cfg": bad_cfg, "dir": d / "srcdir", "tmp": d}


def _run(
    args: list[str], capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, object]:
    with monkeypatch.context() as m:
        m.setenv("COLUMNS", "100")
        try:
            main(list(args))
            status: object = 0
        except SystemExit as e:
            status = e.code
    out, err = capfd.readouterr()
    return out, err, status


def _both(
    args: list[str],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    report: Path | None = None,
) -> Iterator[tuple[str, str, object, str | None]]:
    """(stdout, stderr, status, report file) by the hand parser, then by click alone."""
    for fast in (True, False):
        if report is not None and report.exists():
            report.unlink()
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(dump_argv, "parse", lambda args: None)
            out, err, status = _run(args, capfd, monkeypatch)
        text = report.read_text() if report is not None and report.exists() else None
        yield out, err, status, text


def _expand(form: list[str], files: dict[str, Path]) -> list[str]:
    return [str(files[a[1:]]) if a.startswith("@") else a for a in form]


# Forms the hand parser takes. "@name" is a file of the fixture.
FAST = [
    ["@tiny"],
    ["@tiny", "--format", "json"],
    ["@tiny", "--format=json"],
    ["--format", "json", "@tiny"],
    ["@tiny", "--format", "text"],
    ["@tiny", "--format", "json", "--format", "text"],
    ["@tiny", "--top", "2"],
    ["@tiny", "--top=1", "--format", "json"],
    ["@tiny", "--all"],
    ["@tiny", "--all", "--format", "json"],
    ["@tiny", "-v"],
    ["@tiny", "--verbose", "--tree"],
    ["@tiny", "--no-explain", "--format", "json"],
    ["@tiny", "--match", "handle"],
    ["@tiny", "--match", "("],
    ["@tiny", "--state", "chan-send"],
    ["@tiny", "--state", "select (no cases)", "--format", "json"],
    ["@tiny", "--state", "bogus"],
    ["@tiny", "--min-count", "2"],
    ["@tiny", "--min-count", "007"],
    ["@tiny", "--timeout", "2.5"],
    ["@tiny", "--timeout", "3"],
    ["@tiny", "--config", "@cfg", "--format", "json"],
    ["@tiny", "--config", "@bad_cfg"],
    ["@tiny", "--config", "missing.toml"],
    ["@tiny", "--source", "@dir"],
    ["@tiny", "--source", "@dir", "--source", "@tmp", "--format", "json"],
    ["missing-dump.txt"],
    ["@dir"],
    ["pid:999999999"],
    [str(LOCAL), "--format", "json", "--source", str(LOCAL_SOURCE)],
    [str(LOCAL), "--source", str(LOCAL_SOURCE)],
    [str(LOCAL), "--all", "--tree", "--source", str(LOCAL_SOURCE)],
]

# Forms left to click: help, errors click reports, rare spellings.
SLOW = [
    [],
    ["--help"],
    ["-h"],
    ["@tiny", "--help"],
    ["@tiny", "--format", "yaml"],
    ["@tiny", "--format"],
    ["@tiny", "--format="],
    ["@tiny", "--form", "json"],
    ["@tiny", "--top", "0"],
    ["@tiny", "--top", "x"],
    ["@tiny", "--top", " 3"],
    ["@tiny", "--top", "-1"],
    ["@tiny", "--min-count", "0"],
    ["@tiny", "--timeout", "0"],
    ["@tiny", "--timeout", "-1"],
    ["@tiny", "--timeout", "1e1"],
    ["@tiny", "--timeout", "inf"],
    ["@tiny", "--bogus"],
    ["@tiny", "@tiny"],
    ["@tiny", "--all=1"],
    ["@tiny", "--", "--all"],
    ["@tiny", "-vv"],
    ["@tiny", "-x"],
    ["@tiny", "--source", "@tiny"],
    ["@tiny", "--source", "missing-dir"],
    ["@tiny", "--config", "@dir"],
    ["@tiny", "-o", "@dir"],
    ["@tiny", "-o"],
    ["@tiny", "--output", ""],
    ["--format", "json"],
]


def test_the_tables_agree_with_the_click_command() -> None:
    by_name = {p.name: p for p in command.params}
    with command.make_context("dump", ["x.txt"]) as ctx:
        assert ctx.params == {**dump_argv.DEFAULTS, "source": "x.txt"}
    for option, name in dump_argv.FLAGS.items():
        param = by_name[name]
        assert (
            isinstance(param, click.Option)
            and param.is_flag
            and option in param.opts + param.secondary_opts
        )
    for option, name in dump_argv.VALUES.items():
        param = by_name[name]
        assert isinstance(param, click.Option) and not param.is_flag and option in param.opts
    every = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
    assert every - {"-h", "--help"} <= {*dump_argv.FLAGS, *dump_argv.VALUES}


@pytest.mark.parametrize("form", FAST, ids=" ".join)
def test_common_forms_run_without_click_and_read_exactly_as_with_it(
    form: list[str],
    files: dict[str, Path],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = _expand(form, files)
    monkeypatch.chdir(files["tmp"])
    with command.make_context("dump", list(args)) as ctx:
        assert dump_argv.parse(args) == ctx.params
    fast, slow = _both(["dump", *args], capfd, monkeypatch)
    assert fast == slow
    assert fast[2] in (0, 1, 2)


@pytest.mark.parametrize("form", SLOW, ids=" ".join)
def test_other_forms_are_left_to_click(
    form: list[str],
    files: dict[str, Path],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = _expand(form, files)
    assert dump_argv.parse(args) is None
    monkeypatch.chdir(files["tmp"])
    fast, slow = _both(["dump", *args], capfd, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
@pytest.mark.parametrize("spelling", [["-o"], ["--output"], ["--output="]])
def test_report_files_are_the_same(
    fmt: str,
    spelling: list[str],
    files: dict[str, Path],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = files["tmp"] / f"report.{fmt}"
    opt = [f"{spelling[0]}{report}"] if spelling[0].endswith("=") else [*spelling, str(report)]
    args = [str(files["tiny"]), "--format", fmt, *opt]
    assert dump_argv.parse(args) is not None
    fast, slow = _both(["dump", *args], capfd, monkeypatch, report=report)
    assert fast[3] is not None
    if fmt == "html":  # the footer says when the page was made, to the second
        fast, slow = (*fast[:3], _undated(fast[3])), (*slow[:3], _undated(slow[3]))
    assert fast == slow


def _undated(page: str | None) -> str:
    return re.sub(r"Generated by goleash on [^.]*\.", "Generated by goleash.", page or "")


def test_standard_input(
    files: dict[str, Path], capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = []
    for fast in (True, False):
        with files["tiny"].open("rb") as f, monkeypatch.context() as m:
            m.setattr(sys, "stdin", type("In", (), {"buffer": f})())
            if not fast:
                m.setattr(dump_argv, "parse", lambda args: None)
            outputs.append(_run(["dump", "-", "--format", "json"], capfd, monkeypatch))
    assert outputs[0] == outputs[1]
    assert '"source": "<stdin>"' in outputs[0][0]


def test_shell_completion_is_left_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "_GOLEASH_COMPLETE", "bash_complete")
    assert dump_argv.parse(["x.txt"]) is None
