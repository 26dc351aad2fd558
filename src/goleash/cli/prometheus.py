"""`goleash prometheus rules`: recording and alerting rules for goroutine growth."""

from __future__ import annotations

import re

import click

from goleash.cli.common import user_errors
from goleash.errors import UsageError

# Prometheus durations: 30s, 5m, 1h30m, 2d (no fractions, no spaces).
_PROM_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
_SELECTOR = re.compile(r"\{[^\n\r]*\}")  # one line: it goes into YAML as is


def _duration(value: str, option: str) -> str:
    if not _PROM_DURATION.fullmatch(value):
        raise UsageError(f"{option} {value!r}: not a Prometheus duration (examples: 5m, 1h, 1h30m)")
    return value


@click.group("prometheus")
def prometheus() -> None:
    """Prometheus rules for goroutine growth."""


@prometheus.command("rules")
@click.option("--selector", default="", help="Label selector of the fleet, e.g. '{job=\"api\"}'.")
@click.option("--trough", default="5m", show_default=True, help="Span of each floor (minimum).")
@click.option("--window", default="1h", show_default=True, help="Span the slope is fitted on.")
@click.option("--for", "hold", default="30m", show_default=True, help="How long growth must last.")
@click.option(
    "--min-growth",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    help="Goroutines per hour the floor must rise by.",
)
@click.option(
    "--severity", default="warning", show_default=True, help="The alert's severity label."
)
@user_errors
def rules(
    selector: str, trough: str, window: str, hold: str, min_growth: float, severity: str
) -> None:
    """Print recording and alerting rules for goroutine growth, ready for a rules file.

    The alert follows the floor of go_goroutines (its minima), so load spikes do not fire it,
    and it stays silent for a window after a restart (process_start_time_seconds changed).
    Check the output with `promtool check rules FILE`.
    """
    from goleash.report.prometheus import rules as render

    selector = selector.strip()
    if selector and not _SELECTOR.fullmatch(selector):
        raise UsageError(
            f"--selector {selector!r}: expected a label selector like '{{job=\"api\"}}'"
        )
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", severity):
        raise UsageError(f"--severity {severity!r}: use letters, digits, '_', '.', '-'")
    click.echo(
        render(
            selector=selector,
            trough=_duration(trough, "--trough"),
            window=_duration(window, "--window"),
            hold=_duration(hold, "--for"),
            min_growth=min_growth,
            severity=severity,
        ),
        nl=False,
    )


command = prometheus
