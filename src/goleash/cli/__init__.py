"""The command line. Thin: parse options, call the library, pick a report.

Each command lives in its own module here and is imported only when it runs, so `goleash
--help` and a small `goleash dump` start fast. Exit status everywhere: 0 clean, 1 leaks or
findings, 2 usage or input error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from goleash import __version__
from goleash.cli.common import fail

# name -> (module, one-line description). The descriptions are listed here so that
# `goleash --help` does not import every command to print them.
COMMANDS: dict[str, tuple[str, str]] = {
    "dump": ("goleash.cli.dump", "Read one goroutine dump and list the suspect groups."),
    "diff": ("goleash.cli.diff", "Compare two dumps: which stacks grew and are still blocked."),
    "watch": ("goleash.cli.watch", "Poll services over time and alert on goroutines that leak."),
    "verify": ("goleash.cli.verify", "Load a service in cycles and fail if goroutines stay."),
    "test": ("goleash.cli.gotest", "Run go test and report goroutines that outlive each test."),
    "scan": ("goleash.cli.scan", "Find goroutine-leak patterns in Go source."),
    "rules": ("goleash.cli.rules", "List the scan rules, or print one rule's documentation."),
    "prometheus": ("goleash.cli.prometheus", "Prometheus rules for goroutine growth."),
    "demo": ("goleash.cli.demo", "Diagnose a bundled leaky Go service, end to end."),
}

USAGE = """\
goleash finds, explains and prevents goroutine leaks in Go services.

Usage:

\tgoleash <command> [arguments]

The commands are:

{commands}
Use "goleash <command> --help" for more information about a command.
"""


def _available() -> dict[str, tuple[str, str]]:
    """The commands whose module exists in this installation."""
    from importlib.util import find_spec

    return {name: spec for name, spec in COMMANDS.items() if find_spec(spec[0]) is not None}


def usage_text() -> str:
    """The short usage `goleash` alone prints, like `go` does."""
    commands = _available()
    width = max(len(n) for n in commands)
    lines = "".join(f"\t{name:<{width}}  {desc}\n" for name, (_, desc) in commands.items())
    return USAGE.format(commands=lines)


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_available())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        try:
            module = importlib.import_module(spec[0])
        except ModuleNotFoundError as e:
            if e.name == spec[0]:
                return None
            raise
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, desc) for name, (_, desc) in _available().items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except MemoryError:
            fail("out of memory")


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goleash")
def cli() -> None:
    """Find, explain and prevent goroutine leaks in Go services.

    Exit status everywhere: 0 clean, 1 leaks or findings, 2 usage or input error.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors become one line on stderr and exit status 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(usage_text())
        sys.exit(2)
    try:
        cli.main(args=args, prog_name="goleash", standalone_mode=False)
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else "goleash"
        fail(f"{e.format_message()} (see '{where} --help')")
    except click.ClickException as e:
        fail(e.format_message())
    except click.exceptions.Abort:
        fail("interrupted")
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
