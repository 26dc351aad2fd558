"""Start-up: `goleash`, `goleash --help` and `--version` answer without importing click, and say
exactly what click would say; reading a dump imports only what reading needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dumpgen import generate
from goleash import __version__
from goleash.cli import cli, main


def imported(code: str) -> set[str]:
    """The modules a fresh interpreter imports to run ``code``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def run(code: str, columns: int) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(
    ("columns", "flag"), [(20, "--help"), (79, "-h"), (80, "--help"), (200, "-h")]
)
def test_help_without_click_reads_exactly_like_clicks(columns: int, flag: str) -> None:
    # In a real process: click reads the terminal width itself (CliRunner would force 80).
    by_click = run(
        f"from goleash.cli import cli\ncli.main(args=[{flag!r}], prog_name='goleash')", columns
    )
    ours = run(f"from goleash.cli import main\nmain([{flag!r}])", columns)
    assert ours == by_click
    assert "dump" in ours and "Commands:" in ours


def test_version_reads_like_clicks(capsys: pytest.CaptureFixture[str]) -> None:
    expected = CliRunner().invoke(cli, ["--version"], prog_name="goleash").output
    main(["--version"])
    assert capsys.readouterr().out == expected == f"goleash, version {__version__}\n"


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"]])
def test_usage_help_and_version_do_not_import_click(args: list[str]) -> None:
    modules = imported(
        f"from goleash.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"
    )
    assert "goleash.cli" in modules
    assert not {m for m in modules if m == "click" or m.startswith(("click.", "typing"))}


def test_a_command_still_goes_through_click() -> None:
    modules = imported(
        "from goleash.cli import main\n"
        "try:\n    main(['rules', '--help'])\nexcept SystemExit:\n    pass"
    )
    assert "click" in modules


def test_commands_run_by_click_collect_garbage_cycles_as_usual() -> None:
    # Start-up runs with the cyclic collector off; a command that may run for hours (watch,
    # test) must run with it on, or every asyncio cycle it makes would stay in memory.
    code = (
        "import gc, sys\n"
        "from goleash.cli import console\n"
        "sys.argv = ['goleash', 'rules']\n"
        "try:\n    console()\nexcept SystemExit:\n    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split()[-2:] == ["True", "True"], out.stderr


def test_a_caller_of_main_keeps_its_collector_as_it_was() -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(SystemExit):
        main(["--bogus-flag"])
    main(["--version"])
    assert gc.isenabled()


def test_reading_a_text_dump_does_not_import_protobuf_or_the_count_profile_parser() -> None:
    code = (
        "import io\n"
        "from goleash.dumps import read_snapshots\n"
        "dump = b'goroutine 1 [running]:\\nmain.main()\\n\\t/x/main.go:3 +0x1\\n'\n"
        "read_snapshots(io.BytesIO(dump))\n"
    )
    modules = imported(code)
    assert "goleash.dumps.traceback" in modules
    assert not {
        m for m in modules if m.startswith(("google.protobuf", "goleash.dumps.countprofile"))
    }


def _dump_imports(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys\n"
        "from goleash.cli import main\n"
        f"sys.stdout = open({os.devnull!r}, 'w')\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=cwd
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_dump_with_no_source_at_hand_imports_neither_click_nor_explain(
    tmp_path: Path, fmt: str
) -> None:
    tiny = tmp_path / "tiny.txt"
    tiny.write_bytes(generate(20, 8, seed=1))
    modules = _dump_imports(["dump", str(tiny), "--format", fmt], tmp_path)
    assert "goleash.analysis.suspects" in modules
    heavy = {"click", "tomllib", "tomli", "jinja2", "goleash.cli.dump", "goleash.lint"}
    heavy |= {m for m in modules if m.startswith("goleash.analysis.explain")}
    if fmt == "json":
        heavy |= {"rich", "typing"}  # rich imports typing; JSON needs neither
    assert not modules & heavy


def test_a_dump_whose_source_is_at_hand_is_explained(tmp_path: Path) -> None:
    here = Path(__file__).parent
    dump = here / "fixtures" / "dumps" / "go1.27" / "traceback.debug2.txt"
    source = here / "go" / "tracebackshapes"  # the program that dump was taken from
    modules = _dump_imports(["dump", str(dump), "--source", str(source)], tmp_path)
    assert "goleash.analysis.explain" in modules
    assert "click" not in modules
