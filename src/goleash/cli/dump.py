"""`goleash dump`: read one goroutine dump and list the suspect groups.

The click command: its options, defaults and help. The common argument forms are parsed
without click by ``goleash.cli.dump_argv``, to the same values; both run ``dump_run.run``.
"""

from __future__ import annotations

from typing import Any

import click

from goleash.cli.common import (
    config_option,
    no_explain_option,
    output_option,
    report_format_option,
    show_all_option,
    source_option,
    timeout_option,
    top_option,
)
from goleash.cli.dump_run import run


@click.command("dump", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source")
@report_format_option(
    help="html: one self-contained page (summary, groups, flame graph) for a browser."
)
@top_option(help="Show at most N groups.")
@click.option(
    "--match",
    "match",
    default=None,
    metavar="REGEX",
    help="Only groups with a frame (function or file:line) matching REGEX.",
)
@click.option(
    "--state",
    default=None,
    help="Only groups in this state or kind (e.g. 'chan send', chan-send, mutex).",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Only groups of at least N goroutines.",
)
@show_all_option(help="Include groups the ignore packs cover.")
@source_option(
    help="Where the Go source lives: shows the code at each site and names the leak pattern.",
    exists=True,
)
@config_option()
@timeout_option()
@no_explain_option(help="Do not run the scan rules on the source to name each leak's pattern.")
@click.option("-v", "--verbose", is_flag=True, help="Show every frame, runtime ones included.")
@click.option("--tree", is_flag=True, help="Show each group's frames with their source lines.")
@output_option(help="Write the report to FILE instead of standard output.")
def dump(**options: Any) -> None:
    """Read one goroutine dump and list the suspect groups, most suspect first.

    SOURCE is a file, `-` for standard input, a URL (a service's base URL fetches its
    goroutineleak profile when it has one, else its goroutine profile), or a local process's pid
    (`4242` when no file has that name, or `pid:4242`; Linux: goleash finds the TCP port that
    serves /debug/pprof/). A group is suspect when its suspicion is at least 0.5; groups the
    runtime proved stuck (a `(leaked)` mark, or a `fatal error: all goroutines are asleep`
    dump) are always suspect. Warnings about the input go to stderr.

    \b
    Exit status:
      0  no suspect group among those shown (filters apply, --top does not)
      1  at least one suspect group
      2  usage error or unreadable input (one line on stderr)
    """
    run(**options)


command = dump
