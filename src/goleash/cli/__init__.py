"""The command line. Thin: parse options, call the library, pick a report.

Each command lives in its own module here and is imported only when it runs, so `goleash
--help` and a small `goleash dump` start fast. Exit status everywhere: 0 clean, 1 leaks or
findings, 2 usage or input error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

from goleash import __version__

TYPE_CHECKING = False  # typing itself costs start-up time; mypy reads this name as usual
if TYPE_CHECKING:
    from typing import Any

    import click

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

HELP = """Find, explain and prevent goroutine leaks in Go services.

Exit status everywhere: 0 clean, 1 leaks or findings, 2 usage or input error.
"""

# click's own wording, so the answer without click reads exactly like the one with it.
_OPTIONS = (
    ("--version", "Show the version and exit."),
    ("-h, --help", "Show this message and exit."),
)


def _available() -> dict[str, tuple[str, str]]:
    """The commands whose module exists in this installation."""
    # What importlib.util.find_spec does for a submodule, without importing importlib.util.
    from importlib.machinery import PathFinder

    return {
        name: spec
        for name, spec in COMMANDS.items()
        if PathFinder.find_spec(spec[0], __path__) is not None
    }


def usage_text() -> str:
    """The short usage `goleash` alone prints, like `go` does."""
    commands = _available()
    width = max(len(n) for n in commands)
    lines = "".join(f"\t{name:<{width}}  {desc}\n" for name, (_, desc) in commands.items())
    return USAGE.format(commands=lines)


def help_text(width: int = 78) -> str | None:
    """`goleash --help` as click prints it at this text width, or None where only click's own
    wrapping would give the same text (a description wider than its column)."""
    out = ["Usage: goleash [OPTIONS] COMMAND [ARGS]...", ""]
    for paragraph in HELP.strip().split("\n\n"):
        out += _wrap(paragraph, width)
        out.append("")
    sections = (
        ("Options", _OPTIONS),
        ("Commands", tuple((n, d) for n, (_, d) in _available().items())),
    )
    for title, rows in sections:
        first = max(len(name) for name, _ in rows)
        if first > 30 or any(len(desc) > width - 4 - first for _, desc in rows):
            return None
        out.append(f"{title}:")
        out += [f"  {name:<{first}}  {desc}" for name, desc in rows]
        out.append("")
    return "\n".join(out[:-1]) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    """Greedy wrapping with a two-space indent, as textwrap does for plain words (without
    importing re for it)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width - 2:
            lines.append("  " + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, "  " + line]


def _text_width() -> int:
    """The width click gives help text: the terminal's (as shutil reads it) up to 80, less 2."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    if columns <= 0:
        columns = 80
    return max(min(columns, 80) - 2, 50)


def _build_cli() -> click.Group:
    import click

    from goleash.cli.common import fail

    class _LazyGroup(click.Group):
        """A group whose commands are imported on first use."""

        def list_commands(self, ctx: click.Context) -> list[str]:
            return list(_available())

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            spec = COMMANDS.get(cmd_name)
            if spec is None:
                return None
            import importlib  # here: the common forms of `goleash dump` never need it

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

    @click.group(
        cls=_LazyGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]}
    )
    @click.version_option(__version__, prog_name="goleash")
    def cli() -> None:
        pass

    return cli


def __getattr__(name: str) -> Any:
    """``cli``, the click group, built on first use: click costs start-up time that
    `goleash`, `goleash --help` and `goleash --version` do without."""
    if name == "cli":
        group = _build_cli()
        globals()["cli"] = group
        return group
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def console() -> None:
    """The `goleash` console script: ``main`` in a process of goleash's own."""
    main(own_process=True)


def main(argv: list[str] | None = None, *, own_process: bool = False) -> None:
    """Run goleash with ``argv`` (default: the command line): usage errors become one line on
    stderr and exit status 2.

    ``own_process`` (the console script): importing a command makes tens of thousands of
    objects that live as long as the process and hold no garbage, so the cyclic collector stays
    off until the command runs, and what exists by then is frozen (never walked again); at
    exit everything is frozen, so the interpreter's last collection walks nothing (~10 % of a
    small `goleash dump`). Other callers keep their collector as it was.
    """
    if own_process:
        gc.disable()
        atexit.register(gc.freeze)
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(usage_text())
        sys.exit(2)
    if args in (["--help"], ["-h"]):
        text = help_text(_text_width())
        if text is not None:
            sys.stdout.write(text)
            return
    if args == ["--version"]:
        sys.stdout.write(f"goleash, version {__version__}\n")
        return
    if args[0] == "dump":
        # The forms people type most run without click (it costs more than a small dump).
        from goleash.cli.dump_argv import main as dump_without_click

        # Returns only when click has to parse them. Its one pass keeps the collector off.
        dump_without_click(args[1:])
    import click

    from goleash.cli.common import fail

    group: click.Group = __getattr__("cli")
    if own_process:
        gc.freeze()  # long-running commands (watch, test) collect as usual from here
        gc.enable()
    try:
        group.main(args=args, prog_name="goleash", standalone_mode=False)
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else "goleash"
        fail(f"{e.format_message()} (see '{where} --help')")
    except click.ClickException as e:
        fail(e.format_message())
    except click.exceptions.Abort:
        fail("interrupted")
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
