"""Self-contained HTML reports: one file that opens offline, shares by mail and attaches to an
incident.

One public function per report kind (``render_dump_html``, and for the over-time commands
``render_diff_html``, ``render_watch_html``, ``render_verify_html``, ``render_test_html``) turns
the analysis results into one HTML document: inline CSS and a little hand-written JavaScript
(search, flame graph zoom), no CDN, no font, nothing fetched at view time.

Everything a dump or a source file supplies is untrusted: the templates are rendered with
jinja2's autoescape on, and data handed to scripts is JSON with ``<``, ``>`` and ``&`` written
as ``\\u`` escapes, so a function name or a label cannot close a tag or open a script.

Size: the flame graph merges all goroutines by stack and drops the slivers too thin to see
(under ``1/_FLAME_RESOLUTION`` of the total); the first ``FULL_GROUPS`` groups (most suspect
first) are rendered in full and the others travel as compact JSON (functions and files in
string tables) that the page turns into rows, so a dump with thousands of distinct stacks stays
a page of a few megabytes that opens in a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from goleash import collector
from goleash.analysis.suspects import Assessment
from goleash.model import Frame, Group, Snapshot
from goleash.sources.sourcefiles import locate, read_lines

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

__all__ = [
    "flame_tree",
    "page",
    "render_diff_html",
    "render_dump_html",
    "render_test_html",
    "render_verify_html",
    "render_watch_html",
    "source_snippet",
    "timeline",
]

FULL_GROUPS = 150  # groups rendered in full (explanation, snippets); the rest as compact rows
MAX_GROUPS = 20_000  # groups listed at all (most suspect first); JSON output has every one
MAX_FRAMES = 64  # frames listed per group
_FLAME_RESOLUTION = 4000  # nodes thinner than total/this are merged into their parent
_FLAME_DEPTH = 96
_SNIPPET = 3  # lines of context around a site
_MAX_CODE = 240  # characters of a source line shown


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("goleash.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["tojson_safe"] = script_json
    env.filters["plural"] = _plural
    return env


def script_json(value: Any) -> Markup:
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` that could end the element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def page(template: str, **context: Any) -> str:
    """Render one of the report templates (``dump.html.j2``, …) with ``context``."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return _env().get_template(template).render(generated=generated, **context)


# --- flame graph -------------------------------------------------------------------------------


def flame_tree(groups: Iterable[tuple[Group, bool]]) -> dict[str, Any]:
    """All goroutines merged by stack, outermost frame first, for the icicle graph.

    ``groups`` are (group, suspect) pairs. The result is ``{"names": [...], "root": node}``
    with a node ``[name index, goroutines, suspect goroutines, [children]]``; slivers thinner
    than 1/_FLAME_RESOLUTION of the total are folded into their parent.
    """
    # Build the trie over function-name indexes; a node's children are keyed by name index.
    # Tight loop on purpose: a 100k-goroutine dump has tens of thousands of frames.
    names: dict[str, int] = {}
    root: list[Any] = [-1, 0, 0, {}]
    for g, suspect in groups:
        n = g.count
        s = n if suspect else 0
        root[1] += n
        root[2] += s
        node = root
        depth = 0
        for f in reversed(g.frames):
            label = f.function
            if label == "runtime.goexit":
                continue
            if depth == _FLAME_DEPTH:
                break
            depth += 1
            idx = names.get(label)
            if idx is None:
                idx = names[label] = len(names)
            kids = node[3]
            child = kids.get(idx)
            if child is None:
                child = kids[idx] = [idx, n, s, {}]
            else:
                child[1] += n
                child[2] += s
            node = child
    least = max(1, root[1] // _FLAME_RESOLUTION)

    def pack(node: list[Any]) -> list[Any]:
        kids = sorted((c for c in node[3].values() if c[1] >= least), key=lambda c: (-c[1], c[0]))
        return [node[0], node[1], node[2], [pack(c) for c in kids]]

    return {"names": list(names), "root": pack(root)}


# --- groups ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnippetLine:
    number: int
    text: str
    target: bool


@dataclass(frozen=True, slots=True)
class Snippet:
    """A few lines of source around a site."""

    label: str
    file: str
    line: int
    lines: tuple[SnippetLine, ...]


def source_snippet(
    label: str, frame: Frame | None, roots: Sequence[Path], *, path: str | None = None
) -> Snippet | None:
    """The lines around ``frame`` (or ``path:frame.line``) when the file is found locally."""
    if frame is None or frame.line < 1:
        return None
    local = Path(path) if path else locate(frame.file, tuple(roots))
    if local is None:
        return None
    lines = read_lines(str(local))
    if lines is None or frame.line > len(lines):
        return None
    first = max(1, frame.line - _SNIPPET)
    last = min(len(lines), frame.line + _SNIPPET)
    shown = tuple(
        SnippetLine(n, _clip(lines[n - 1]), n == frame.line) for n in range(first, last + 1)
    )
    return Snippet(label, str(local), frame.line, shown)


def _clip(text: str) -> str:
    text = text.replace("\t", "    ")
    return text if len(text) <= _MAX_CODE else text[: _MAX_CODE - 1] + "…"


@dataclass
class GroupView:
    """One group as the templates show it."""

    index: int
    anchor: str
    a: Assessment
    verdict: str  # "suspect" | "ignored" | "clean"
    search: str
    frames: list[Frame]
    more_frames: int
    snippets: list[Snippet]
    explanation: Explanation | None
    cause_snippets: list[Snippet] = field(default_factory=list)


def _verdict(a: Assessment) -> str:
    if a.ignored is not None:
        return "ignored"
    return "suspect" if a.suspect else "clean"


def compact_groups(shown: Sequence[Assessment], first_index: int) -> dict[str, Any]:
    """Groups as compact rows for the page's script: functions and files in string tables,
    ``[count, state, kind, suspicion, verdict, ignored, frames, creator, labels, wait, leaked]``
    per group, a frame being ``[function, file, line]`` indexes."""
    functions: dict[str, int] = {}
    files: dict[str, int] = {}
    # One [function, file] index pair per distinct (function, file): a frame costs a dict
    # lookup, which keeps thousands of groups of dozens of frames cheap.
    places: dict[tuple[str, str], tuple[int, int]] = {}

    def frame(f: Frame) -> list[int]:
        key = (f.function, f.file)
        at = places.get(key)
        if at is None:
            at = places[key] = (
                functions.setdefault(f.function, len(functions)),
                files.setdefault(f.file, len(files)),
            )
        return [at[0], at[1], f.line]

    rows = []
    for a in shown:
        g = a.group
        stack = []
        for f in g.frames[:MAX_FRAMES]:
            key = (f.function, f.file)
            at = places.get(key)
            if at is None:
                at = places[key] = (
                    functions.setdefault(f.function, len(functions)),
                    files.setdefault(f.file, len(files)),
                )
            stack.append([at[0], at[1], f.line])
        rows.append(
            [
                g.count,
                a.state,
                a.kind,
                a.suspicion,
                _verdict(a),
                a.ignored or "",
                stack,
                frame(g.created_by) if g.created_by is not None else None,
                dict(sorted(g.labels.items())),
                list(g.wait_minutes) if g.wait_minutes is not None else None,
                g.leaked,
            ]
        )
    return {"first": first_index, "fn": list(functions), "file": list(files), "rows": rows}


def group_views(
    shown: Sequence[Assessment],
    explanations: Mapping[str, Explanation],
    roots: Sequence[Path],
) -> list[GroupView]:
    """The first FULL_GROUPS groups, rendered in full (explanation, snippets, frames)."""
    views: list[GroupView] = []
    for i, a in enumerate(shown[:FULL_GROUPS], 1):
        g = a.group
        frames = list(g.frames[:MAX_FRAMES])
        words = [f"{f.function} {f.file}:{f.line}" for f in g.frames]
        if g.created_by is not None:
            words.append(f"{g.created_by.function} {g.created_by.file}:{g.created_by.line}")
        words += [f"{k}={v}" for k, v in sorted(g.labels.items())]
        words += [a.state, a.kind]
        e = explanations.get(g.signature)
        if e is not None:
            words += [f"{c.file}:{c.line}" for c in e.causes] + list(e.objects)
        snippets = [
            s
            for s in (
                source_snippet("blocked at", g.blocking_site, roots),
                source_snippet("created at", g.creation_site, roots),
            )
            if s is not None
        ]
        causes = []
        shown_lines = {(Path(sn.file).resolve(), sn.line) for sn in snippets}
        if e is not None:
            for c in e.causes[:6]:
                if (Path(c.file).resolve(), c.line) in shown_lines:
                    continue  # already highlighted in the site's snippet
                s = source_snippet(c.note, Frame("", c.file, c.line), roots, path=c.file)
                if s is not None:
                    causes.append(s)
        views.append(
            GroupView(
                index=i,
                anchor=f"g{i}",
                a=a,
                verdict=_verdict(a),
                search="\n".join(words).lower(),
                frames=frames,
                more_frames=len(g.frames) - len(frames),
                snippets=snippets,
                explanation=e,
                cause_snippets=causes,
            )
        )
    return views


# --- dump --------------------------------------------------------------------------------------


@collector.paused()
def render_dump_html(
    snapshot: Snapshot,
    shown: Sequence[Assessment],
    *,
    explanations: Mapping[str, Explanation] | None = None,
    suspects: int | None = None,
    warnings: Sequence[str] = (),
    notes: Sequence[str] = (),
    hidden_ignored: int = 0,
    filtered_out: int = 0,
    source_roots: Sequence[Path] = (),
    all_assessed: Sequence[Assessment] | None = None,
) -> str:
    """The HTML report of one analysed snapshot (``goleash dump --format html``).

    ``shown`` are the groups the user's filters kept; the flame graph covers every goroutine
    of the snapshot (``all_assessed`` colours the suspect ones; by default ``shown``).
    """
    explanations = explanations or {}
    views = group_views(shown, explanations, source_roots)
    rest = compact_groups(shown[FULL_GROUPS:MAX_GROUPS], len(views) + 1)
    left_out = max(0, len(shown) - MAX_GROUPS)
    suspect_of = {a.group.signature: a.suspect for a in (all_assessed or shown)}
    every = [*snapshot.groups, *snapshot.runtime_groups]
    flame = flame_tree((g, suspect_of.get(g.signature, False)) for g in every)
    n_suspects = suspects if suspects is not None else sum(a.suspect for a in shown)
    suspect_goroutines = sum(a.group.count for a in shown if a.suspect)
    return page(
        "dump.html.j2",
        title=f"goleash dump · {snapshot.source or 'goroutine dump'}",
        snapshot=snapshot,
        groups=views,
        rest=rest,
        listed=len(views) + len(rest["rows"]),
        left_out=left_out,
        flame=flame,
        suspects=n_suspects,
        suspect_goroutines=suspect_goroutines,
        explained=sum(1 for a in shown if a.group.signature in explanations),
        warnings=[*snapshot.warnings, *warnings],
        notes=list(notes),
        hidden_ignored=hidden_ignored,
        filtered_out=filtered_out,
    )


# --- charts ------------------------------------------------------------------------------------

_PALETTE = ("#1f5fbf", "#c62828", "#2e7d32", "#a15c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037")


@dataclass(frozen=True, slots=True)
class ChartLine:
    """One series drawn as a polyline, with a dot (and a tooltip) per sample."""

    name: str
    colour: str
    points: str  # SVG "x,y x,y …"
    dots: tuple[tuple[float, float, str], ...]  # x, y, tooltip
    width: float = 1.8


@dataclass(frozen=True, slots=True)
class ChartMarker:
    """A vertical mark: a restart, an alert, a phase."""

    x: float
    label: str
    kind: str  # "restart" | "alert" | "phase"
    anchor: str = "start"  # where the label sits: right of the line, or left near the edge


@dataclass(frozen=True, slots=True)
class Chart:
    """A timeline as the template draws it (all coordinates computed here)."""

    title: str
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    lines: tuple[ChartLine, ...]
    markers: tuple[ChartMarker, ...]
    xticks: tuple[tuple[float, str], ...]
    yticks: tuple[tuple[float, str], ...]


def timeline(
    title: str,
    xs: Sequence[float],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    xlabel: Any = None,
    markers: Sequence[tuple[float, str, str]] = (),
    width: int = 1100,
    height: int = 300,
) -> Chart:
    """A line chart of ``series`` (name, one value per x; None where there is no sample).

    ``xlabel`` turns an x into its tick label (default: the number); ``markers`` are
    (x, label, kind) vertical marks. The first series is drawn thicker (the total).
    """
    left, top, right, bottom = 56, 14, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    label_of = xlabel or (lambda x: f"{x:g}")
    x0 = min(xs) if xs else 0.0
    x1 = max(xs) if xs else 1.0
    if x1 == x0:
        x1 = x0 + 1
    values = [v for _, vs in series for v in vs if v is not None]
    top_value = max(values) if values else 1.0
    top_value = top_value * 1.08 if top_value > 0 else 1.0

    def px(x: float) -> float:
        return round(left + (x - x0) / (x1 - x0) * plot_w, 1)

    def py(v: float) -> float:
        return round(top + plot_h - v / top_value * plot_h, 1)

    lines = []
    for i, (name, vs) in enumerate(series):
        pts = [(px(x), py(v), v, x) for x, v in zip(xs, vs, strict=False) if v is not None]
        lines.append(
            ChartLine(
                name=name,
                colour=_PALETTE[i % len(_PALETTE)],
                points=" ".join(f"{x},{y}" for x, y, _, _ in pts),
                dots=tuple((x, y, f"{name}: {v:g} at {label_of(t)}") for x, y, v, t in pts),
                width=2.6 if i == 0 else 1.6,
            )
        )
    ticks = min(len(xs), 8)
    xticks = []
    if ticks:
        step = max(1, round(len(xs) / ticks))
        xticks = [(px(x), label_of(x)) for x in list(xs)[::step]]
    yticks = [(py(top_value * k / 4), f"{top_value * k / 4:.0f}") for k in range(5)]
    return Chart(
        title=title,
        width=width,
        height=height,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        lines=tuple(lines),
        markers=tuple(
            ChartMarker(px(x), label, kind, "end" if px(x) > left + 0.8 * plot_w else "start")
            for x, label, kind in markers
        ),
        xticks=tuple(xticks),
        yticks=tuple(yticks),
    )


def _short_function(function: str) -> str:
    tail = function[function.rfind("/") + 1 :]
    return tail


def stack_name(group: Group | None, fallback: str) -> str:
    """A short name for a stack in a legend: its blocking function and line."""
    site = group.blocking_site if group is not None else None
    if site is None:
        return fallback
    return f"{_short_function(site.function)} ({site.file_name}:{site.line})"


# --- diff --------------------------------------------------------------------------------------


@dataclass
class ChangeView:
    """One stack of a diff as the template shows it."""

    index: int
    change: Any  # goleash.analysis.growth.StackChange
    card: GroupView
    width_before: float  # bar widths, in % of the largest count
    width_after: float


@collector.paused()
def render_diff_html(
    comparison: Any,
    shown: Sequence[Any],
    *,
    hidden: int = 0,
    warnings: Sequence[str] = (),
    source_roots: Sequence[Path] = (),
    explain: bool = True,
) -> str:
    """The HTML report of ``goleash diff``: the stacks that grew, before and after side by side,
    with their explanation, and the after snapshot's flame graph (leaking stacks in colour).

    ``comparison`` is a ``goleash.analysis.growth.Comparison``, ``shown`` its changes to list.
    """
    roots = tuple(source_roots) or (Path.cwd(),)
    assessments = [c.assessment for c in shown]
    explanations: Mapping[str, Explanation] = {}
    if explain:
        from goleash.analysis.explain import explain as explain_groups

        explanations = explain_groups(
            assessments, source_roots=roots, groups=comparison.after.groups
        )
    cards = group_views(assessments, explanations, roots)
    biggest = max([1, *(max(c.before, c.after) for c in shown)])
    views = [
        ChangeView(i, c, card, 100 * c.before / biggest, 100 * c.after / biggest)
        for i, (c, card) in enumerate(zip(shown, cards, strict=False), 1)
    ]
    leaking = {c.group.stack_key for c in comparison.leaks}
    after = comparison.after
    flame = flame_tree((g, g.stack_key in leaking) for g in (*after.groups, *after.runtime_groups))
    return page(
        "diff.html.j2",
        title="goleash diff",
        c=comparison,
        changes=views,
        more=max(0, len(shown) - len(views)),
        hidden=hidden,
        warnings=[*comparison.before.warnings, *comparison.after.warnings, *warnings],
        flame=flame,
    )


# --- verify ------------------------------------------------------------------------------------


@collector.paused()
def render_verify_html(
    result: Any,
    shown: Sequence[Any],
    *,
    hidden: int = 0,
    source_roots: Sequence[Path] = (),
    explain: bool = True,
) -> str:
    """The HTML report of ``goleash verify``: the verdict, the timeline of the total and of
    the top stacks over the settled points (leaks marked), and each stack judged.

    ``result`` is a ``goleash.verify.VerifyResult``, ``shown`` its StackSeries to list.
    """
    points = result.points
    xs = list(range(len(points)))
    phases = [p.phase for p in points]
    top = sorted(shown, key=lambda s: (not s.leak, -abs(s.growth)))[:6]
    series: list[tuple[str, list[float | None]]] = [
        ("all goroutines", [float(p.total) for p in points])
    ]
    for s in top:
        a = result.evidence.get(s.stack_key)
        series.append(
            (
                stack_name(a.group if a is not None else None, s.stack_key),
                [float(p.counts[s.stack_key]) if s.stack_key in p.counts else None for p in points],
            )
        )
    markers = [(float(i), "not settled", "alert") for i, p in enumerate(points) if not p.settled]
    if result.leaks and points:
        markers.append((float(len(points) - 1), f"{len(result.leaks)} leaking", "alert"))
    chart = timeline(
        "Goroutines after each phase, settled",
        xs,
        series,
        xlabel=lambda x: phases[int(x)] if 0 <= int(x) < len(phases) else "",
        markers=markers,
    )
    from goleash.analysis.explain import explain as explain_groups

    roots = tuple(source_roots) or (Path.cwd(),)
    assessments = [result.evidence[s.stack_key] for s in shown if s.stack_key in result.evidence]
    final = result.final
    explanations: Mapping[str, Explanation] = {}
    if explain:
        explanations = explain_groups(
            assessments, source_roots=roots, groups=final.groups if final is not None else None
        )
    keys = [s.stack_key for s in shown if s.stack_key in result.evidence]
    cards = dict(zip(keys, group_views(assessments, explanations, roots), strict=False))
    rows = [(s, cards.get(s.stack_key)) for s in shown]
    return page(
        "verify.html.j2",
        title="goleash verify",
        result=result,
        rows=rows,
        hidden=hidden,
        timeline_chart=chart,
        final=final,
        warnings=[*result.warnings, *(final.warnings if final is not None else ())],
    )


# --- watch -------------------------------------------------------------------------------------

_EVENT_MARKS = {"leak": "alert", "restart": "restart", "target_down": "alert"}
_TOP_STACKS = 5


@dataclass
class TargetView:
    """One watched target: its timeline and its events."""

    target: str
    samples: int
    first: str
    last: str
    chart: Chart | None
    events: list[dict[str, Any]]
    leaks: int


@collector.paused()
def render_watch_html(store_path: Path, *, source_roots: Sequence[Path] = ()) -> str:
    """The HTML report of a watch, read from its SQLite store (``goleash watch --store FILE``):
    per target, the timeline of the total and of the top stacks with restarts and alerts
    marked, and every event with its evidence; with ``source_roots`` (``--source``), each leak
    alert explained from the source like a dump's groups."""
    from goleash.errors import InputError
    from goleash.store import Store

    if not Path(store_path).is_file():
        raise InputError(f"{store_path}: no such watch store")
    store = Store(store_path)
    try:
        events = store.events()
        if source_roots:
            events = _explain_leaks(events, source_roots)
        targets = store.targets()
        views = [
            _target_view(store, t, [e for e in events if e.get("target") == t]) for t in targets
        ]
    finally:
        store.close()
    leaks = sum(v.leaks for v in views)
    return page(
        "watch.html.j2",
        title="goleash watch",
        store=str(store_path),
        targets=views,
        leaks=leaks,
        events=len(events),
    )


def _frame_of(d: Any) -> Frame | None:
    """A frame from an event's JSON (``{"function", "file", "line"}``), None when malformed."""
    if not isinstance(d, dict):
        return None
    function, file, line = d.get("function"), d.get("file"), d.get("line")
    if not isinstance(function, str) or not isinstance(file, str) or not isinstance(line, int):
        return None
    return Frame(function, file, line)


def _explain_leaks(events: list[dict[str, Any]], roots: Sequence[Path]) -> list[dict[str, Any]]:
    """The events, each leak alert with an ``explanation`` when the source tells why its
    goroutines are never released.

    The store keeps each alert's frames, wait state and count, not an assessment: each alert
    becomes a group (a leak the trend proved, so fully suspect), and the alerts of one target
    are explained together, so one stuck stack can be the evidence for another (the holder of
    a lock, the only receiver left).
    """
    from goleash.analysis.explain import explain
    from goleash.analysis.waits import kind_of, normalise_state
    from goleash.model import signature_of

    per_target: dict[str, list[tuple[int, Assessment]]] = {}
    for i, e in enumerate(events):
        if e.get("event") != "leak" or not isinstance(e.get("frames"), list):
            continue
        frames = tuple(f for f in map(_frame_of, e["frames"]) if f is not None)
        if not frames:
            continue
        created_by = _frame_of(e.get("creation_site"))
        raw_state, count = e.get("state"), e.get("count")
        state = normalise_state(raw_state if isinstance(raw_state, str) else "", frames)
        count = count if isinstance(count, int) and count > 0 else 1
        group = Group(signature_of(state, frames, created_by), state, frames, created_by, count)
        why = ("a watch leak alert: the stack's floor kept rising",)
        a = Assessment(group, state, kind_of(state), 1.0, why)
        per_target.setdefault(str(e.get("target", "")), []).append((i, a))
    explained: dict[int, Explanation] = {}
    for alerts in per_target.values():
        found = explain([a for _, a in alerts], source_roots=tuple(roots))
        for i, a in alerts:
            if a.group.signature in found:
                explained[i] = found[a.group.signature]
    return [
        {**e, "explanation": explained[i]} if i in explained else e for i, e in enumerate(events)
    ]


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")


def _target_view(store: Any, target: str, events: list[dict[str, Any]]) -> TargetView:
    samples = store.recent_samples(target, 1_000_000)
    shown = [e for e in events if e.get("event") not in ("sample", "screen", "summary")]
    leaks = sum(1 for e in shown if e.get("event") == "leak")
    if not samples:
        return TargetView(target, 0, "", "", None, shown, leaks)
    # The top stacks: the leaking ones first, then the largest at their peak.
    leaking = [e["stack_key"] for e in shown if e.get("event") == "leak" and e.get("stack_key")]
    peak: dict[str, int] = {}
    for s in samples:
        for k, c in s.counts.items():
            peak[k] = max(peak.get(k, 0), c)
    keys = list(dict.fromkeys([*leaking, *sorted(peak, key=lambda k: -peak[k])]))[:_TOP_STACKS]
    frames = store.frames(keys)
    t0 = samples[0].time
    xs = [s.time - t0 for s in samples]
    series: list[tuple[str, list[float | None]]] = [
        ("all goroutines", [float(s.total) for s in samples])
    ]
    for k in keys:
        name = k
        fr = frames.get(k, ())
        site = next((f for f in fr if not f.is_plumbing), fr[-1] if fr else None)
        if site is not None:
            name = f"{_short_function(site.function)} ({site.file_name}:{site.line})"
        series.append((name, [float(s.counts.get(k, 0)) for s in samples]))
    markers = []
    for e in shown:
        kind = _EVENT_MARKS.get(e.get("event", ""))
        if kind is None:
            continue
        try:
            at = datetime.fromisoformat(e["time"]).timestamp() - t0
        except (KeyError, ValueError):
            continue
        markers.append((at, e["event"].replace("_", " "), kind))
    chart = timeline(
        f"Goroutines of {target}",
        xs,
        series,
        xlabel=lambda x: _stamp(t0 + x),
        markers=markers,
    )
    return TargetView(
        target, len(samples), _stamp(samples[0].time), _stamp(samples[-1].time), chart, shown, leaks
    )


# --- test --------------------------------------------------------------------------------------


@dataclass
class PackageView:
    """One package of a `goleash test` run."""

    p: Any  # goleash.analysis.attribution.PackageVerdict
    leaks: list[tuple[Any, GroupView]]  # (Leak, its card)
    ignored: int


@collector.paused()
def render_test_html(run: Any, *, source_roots: Sequence[Path] = ()) -> str:
    """The HTML report of ``goleash test``: per package, the tests that left goroutines behind,
    each leak with its blocking and creation sites, explanation and source.

    ``run`` is a ``goleash.analysis.attribution.TestRunVerdict``; the source is the module
    under test (the current folder by default).
    """
    from goleash.analysis.explain import explain

    roots = tuple(source_roots) or (Path.cwd(),)
    packages = []
    for p in run.packages:
        assessments = [leak.assessment for leak in p.leaks.leaks]
        explanations = explain(assessments, source_roots=roots) if assessments else {}
        cards = group_views(assessments, explanations, roots)
        for leak, card in zip(p.leaks.leaks, cards, strict=False):
            card.search += f"\n{(leak.test or '').lower()}\n{p.package.lower()}"
        packages.append(
            PackageView(p, list(zip(p.leaks.leaks, cards, strict=False)), len(p.leaks.ignored))
        )
    leaking_tests = sum(len(v.p.leaking_tests) for v in packages)
    return page(
        "test.html.j2",
        title="goleash test",
        run=run,
        packages=packages,
        leaking_tests=leaking_tests,
        cards=sum(len(v.leaks) for v in packages),
    )
