"""What every command shares: turning user errors into one stderr line and exit status 2.

click is imported only by the option factories: `goleash dump` runs through here without it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps

from goleash.cli.echo import echo
from goleash.errors import InputError, UsageError

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from pathlib import Path  # imported where needed: it costs `goleash dump` start-up time
    from typing import Any, NoReturn, TypeVar

    from goleash.analysis.explain import Explanation
    from goleash.analysis.suspects import Assessment
    from goleash.model import Group

if TYPE_CHECKING:
    F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    echo(f"goleash: {message}", err=True)
    sys.exit(2)


def user_errors(fn: F) -> F:
    """Turn errors a user can act on into one stderr line and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputError, UsageError) as e:
            fail(str(e))
        except KeyboardInterrupt:
            fail("interrupted")
        except BrokenPipeError:
            sys.exit(0)

    return wrapper  # type: ignore[return-value]


# Options several commands share. Each takes the help text where commands word it differently,
# so every command's --help reads as it did before the options were shared.


def report_format_option(help: str | None = None) -> Callable[[F], F]:
    """--format text|json|html (stored as `fmt`)."""
    import click

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "html"]),
        default="text",
        show_default=True,
        help=help,
    )


def output_option(help: str = "Write the report here.") -> Callable[[F], F]:
    """-o/--output FILE for the report (default: standard output); see `write_report`."""
    from pathlib import Path

    import click

    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=help,
    )


def top_option(help: str) -> Callable[[F], F]:
    """--top N: show at most N of the report's rows."""
    import click

    return click.option("--top", type=click.IntRange(min=1), default=None, help=help)


def show_all_option(help: str) -> Callable[[F], F]:
    """--all (stored as `show_all`): include what the report hides by default."""
    import click

    return click.option("--all", "show_all", is_flag=True, help=help)


def config_option(
    help: str = "Config file with [[dump.ignore]] entries (default: ./.goleash.toml).",
) -> Callable[[F], F]:
    """--config FILE holding the ignore packs."""
    from pathlib import Path

    import click

    return click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=help,
    )


def timeout_option(help: str = "Seconds to wait for a URL.") -> Callable[[F], F]:
    """--timeout SECONDS (a positive float, default 10) for fetching a dump."""
    import click

    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help=help,
    )


def source_option(
    help: str = "Where the Go source lives: names each leak's pattern and fix.",
    *,
    exists: bool = False,
) -> Callable[[F], F]:
    """--source DIR, repeatable (stored as `source_dirs`)."""
    from pathlib import Path

    import click

    return click.option(
        "--source",
        "source_dirs",
        multiple=True,
        metavar="DIR",
        type=click.Path(exists=exists, file_okay=False, path_type=Path),
        help=help,
    )


def no_explain_option(
    help: str = "Do not read the source to explain the leaks.",
) -> Callable[[F], F]:
    """--no-explain: skip reading the source to name each leak's pattern."""
    import click

    return click.option("--no-explain", is_flag=True, help=help)


def explain_from_source(
    assessments: Sequence[Assessment],
    source_dirs: Sequence[Path] = (),
    *,
    groups: Sequence[Group] | None = None,
) -> dict[str, Explanation]:
    """Why each group's goroutines are never released, read from the Go source under
    --source (default: the current folder); {} when there is nothing to explain.

    The explain machinery (the scan rules, tree-sitter) is imported only when a file the dump
    names is found locally: without one it could explain nothing.
    """
    if not assessments:
        return {}
    # The current folder as a string: looking files up needs no pathlib.
    roots: tuple[str | Path, ...] = tuple(source_dirs) or (os.getcwd(),)
    find = _Finder(roots)
    everyone = [a.group for a in assessments] + list(groups or ())
    try:
        if not any(find(file) is not None for file in _files(everyone)):
            return {}
    except Exception:  # explain() meets the same failure and handles it as it always has
        pass
    from pathlib import Path

    from goleash.analysis.explain import explain

    return explain(assessments, source_roots=tuple(map(Path, roots)), resolve=find, groups=groups)


def _files(groups: Iterable[Group]) -> Iterator[str]:
    """The files the groups' frames name (creators included), each once."""
    seen: set[str] = set()
    for g in groups:
        for f in (*g.frames, *((g.created_by,) if g.created_by is not None else ())):
            if f.file not in seen:
                seen.add(f.file)
                yield f.file


class _Finder:
    """``sourcefiles.locate`` under fixed roots, each file looked up once."""

    __slots__ = ("_found", "_roots")

    def __init__(self, roots: tuple[str | Path, ...]) -> None:
        self._roots = roots
        self._found: dict[str, Path | None] = {}

    def __call__(self, file: str) -> Path | None:
        if file not in self._found:
            from goleash.sources.sourcefiles import locate

            self._found[file] = locate(file, self._roots)
        return self._found[file]


def open_output(path: Path) -> Any:
    """The report file, or a one-line usage error when it cannot be written."""
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"--output {path}: {e.strerror or e}") from None


def report_console(output: Path | None, **options: Any) -> _ReportConsole:
    """A rich Console writing to --output, or to standard output (``with … as console``)."""
    return _ReportConsole(output, options)


class _ReportConsole:
    """What report_console returns (a class, not a contextlib generator: importing contextlib
    costs every command start-up time)."""

    def __init__(self, output: Path | None, options: dict[str, Any]) -> None:
        self._output = output
        self._options = options
        self._file: Any = None

    def __enter__(self) -> Any:
        from rich.console import Console

        if self._output is None:
            return Console(**self._options)
        self._file = open_output(self._output)
        return Console(file=self._file, **self._options)

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def write_report(document: str, output: Path | None) -> None:
    """A whole report to --output, or to standard output."""
    if output is None:
        echo(document, nl=False)
        return
    with open_output(output) as f:
        f.write(document)
