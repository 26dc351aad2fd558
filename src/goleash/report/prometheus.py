"""Prometheus: the metrics a watch serves, and recording/alerting rules for goroutine growth.

``serve_metrics`` exposes what goleash sees with prometheus-client, computed at scrape time from
the watch's state: per target whether it answers, its goroutines, polls, failures and restarts;
per stack (the top stacks of each target, so cardinality stays bounded) its goroutines, the
slope of its floor and whether it is judged leaking.

``rules`` prints rules a fleet can run without goleash: the same idea as a watch in PromQL. The
troughs (``min_over_time``) hide bursts of work, the slope of the troughs (``deriv``) measures
growth, restarts (``changes(process_start_time_seconds)``) suppress it while a fresh process
warms up, and ``for`` makes a short spike pass unnoticed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from goleash import __version__

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from goleash.watch import Watch

TOP_STACKS = 20  # stacks per target exported, at most: leaking first, then the fastest growing


class WatchCollector:
    """A prometheus-client collector that reads a running watch's state at each scrape."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        up = GaugeMetricFamily(
            "goleash_target_up", "1 when the last poll succeeded", labels=["target"]
        )
        total = GaugeMetricFamily(
            "goleash_target_goroutines", "Goroutines at the last poll", labels=["target"]
        )
        polls = CounterMetricFamily("goleash_polls", "Polls made", labels=["target"])
        failed = CounterMetricFamily(
            "goleash_poll_failures", "Polls that failed", labels=["target"]
        )
        restarts = CounterMetricFamily(
            "goleash_restarts", "Process restarts seen", labels=["target"]
        )
        stack_labels = ["target", "stack_key", "function", "file", "line"]
        count = GaugeMetricFamily(
            "goleash_stack_goroutines",
            "Goroutines on a stack at the last poll",
            labels=stack_labels,
        )
        leaking = GaugeMetricFamily(
            "goleash_stack_leaking", "1 while goleash judges the stack leaking", labels=stack_labels
        )
        slope = GaugeMetricFamily(
            "goleash_stack_floor_slope",
            "Theil-Sen slope of the stack's window minima, goroutines per second",
            labels=stack_labels,
        )
        for state in list(self.watch.states.values()):
            name = state.name
            up.add_metric([name], 0.0 if state.tracker.down or not state.polls else 1.0)
            if state.last_total is not None:
                total.add_metric([name], float(state.last_total))
            polls.add_metric([name], float(state.polls))
            failed.add_metric([name], float(state.failures))
            restarts.add_metric([name], float(state.restarts))
            stacks = list(state.tracker.stacks.items())
            stacks.sort(
                key=lambda kv: (kv[1].state != "leak", -(kv[1].trend.slope if kv[1].trend else 0))
            )
            for key, series in stacks[:TOP_STACKS]:
                frames = state.frames.get(key, ())
                site = next(
                    (f for f in frames if not f.is_plumbing), frames[-1] if frames else None
                )
                labels = [
                    name,
                    key,
                    site.function if site else "",
                    site.file_name if site else "",
                    str(site.line) if site else "",
                ]
                count.add_metric(labels, float(series.last))
                leaking.add_metric(labels, 1.0 if series.state == "leak" else 0.0)
                slope.add_metric(labels, series.trend.slope if series.trend else 0.0)
        yield from (up, total, polls, failed, restarts, count, leaking, slope)


def serve_metrics(watch: Watch, port: int, address: str = "127.0.0.1") -> int:
    """Serve the watch's metrics on ``address:port`` (0: any free port); return the port."""
    from prometheus_client import CollectorRegistry, start_http_server

    from goleash.errors import InputError

    registry = CollectorRegistry(auto_describe=False)
    registry.register(WatchCollector(watch))
    try:
        server, _ = start_http_server(port, addr=address, registry=registry)
    except OSError as e:
        raise InputError(
            f"--metrics-port {port}: cannot listen on {address} ({e.strerror})"
        ) from None
    actual = int(server.server_port)
    sys.stderr.write(f"goleash: metrics on http://{address}:{actual}/metrics\n")
    return actual


def rules(
    *,
    selector: str = "",
    trough: str = "5m",
    window: str = "1h",
    hold: str = "30m",
    min_growth: float = 20.0,
    severity: str = "warning",
) -> str:
    """Recording and alerting rules for goroutine growth, as a Prometheus rules file (YAML).

    ``trough``: the span each minimum is taken over; ``window``: the span the slope is fitted
    on and restarts are looked for; ``hold``: how long the growth must last before the alert
    fires; ``min_growth``: goroutines per hour the floor must rise by.
    """
    sel = selector.strip()
    per_hour = f"{min_growth:g}"
    return f"""\
# Goroutine leak rules, generated by goleash {__version__}:
#   goleash prometheus rules --selector '{sel}' --trough {trough} --window {window} \\
#     --for {hold} --min-growth {per_hour}
# A leak grows with the work done and does not drain when the work stops; load comes and goes.
# These rules therefore follow the floor of go_goroutines, not its peaks, and ignore a process
# while it warms up after a restart. Check with: promtool check rules FILE
groups:
  - name: goleash-goroutines
    rules:
      # The floor: the lowest goroutine count of each instance over the last {trough}. Bursts
      # of in-flight requests vanish from it; what remains is what the service returns to.
      - record: instance:go_goroutines:min{trough}
        expr: {_quoted(f"min_over_time(go_goroutines{sel}[{trough}])")}

      # How fast the floor rises, in goroutines per hour: the least-squares slope of the
      # floor over the last {window}. A spike shorter than {trough} never reaches the floor, and
      # a longer one raises it only briefly, which the alert's `for` rides out.
      - record: instance:go_goroutines_floor:deriv{window}
        expr: deriv(instance:go_goroutines:min{trough}[{window}]) * 3600

      # Restarts in the last {window}: a restart resets the count (a leak's goroutines are gone,
      # a pool fills again), so growth across one says nothing. process_start_time_seconds is
      # exported by every Go client library's process collector.
      - record: instance:process_restarts:changes{window}
        expr: {_quoted(f"changes(process_start_time_seconds{sel}[{window}])")}

      # The alert: the floor rose by more than {per_hour} goroutines per hour over the last
      # {window}, is still higher than {hold} ago, and the process did not restart in that time.
      # It must hold for {hold}: a leak keeps it true, a load spike or a warm-up does not.
      # After a restart it is silent for {window}, then a leak that goes on fires again.
      - alert: GoroutineLeak
        expr: |
          instance:go_goroutines_floor:deriv{window} > {per_hour}
          and instance:go_goroutines:min{trough} > instance:go_goroutines:min{trough} offset {hold}
          and instance:process_restarts:changes{window} == 0
        for: {hold}
        labels:
          severity: {severity}
        annotations:
          summary: Goroutines leak on {{{{ $labels.instance }}}}
          description: >-
            The floor of go_goroutines on {{{{ $labels.instance }}}} has risen by more than
            {per_hour} per hour for {hold} with no restart. Find the leaking stack with:
            goleash watch http://{{{{ $labels.instance }}}}
"""


def _quoted(text: str) -> str:
    """A YAML single-quoted scalar: a selector's ``#`` or ``: `` cannot end or split it."""
    return "'" + text.replace("'", "''") + "'"
