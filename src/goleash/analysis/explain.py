"""Why nobody will ever wake a group of goroutines, and how to fix it: the dump joined with the
source.

A stack tells where goroutines wait; the source tells on what (the channel, the lock, the
WaitGroup, the ticker, the response) and the rest of the dump tells who else is there to release
them. For each group, the blocking site and the creation site (paths as the dump prints them,
possibly from another machine) are mapped to local files and read:

- the static rules of ``goleash scan`` run over the packages of those files, and a finding that
  describes *this* group's wait names its pattern (``goleash.analysis.explain_rules``);
- a lock waiter is traced to its holder: a goroutine of the dump that holds the same mutex (its
  stack is named), or the return path of a call that kept it (``explain_locks``);
- a loop that sleeps or ranges over a ticker with no way out is named with its ``for``
  (``explain_source``);
- a channel wait is checked against the rest of the dump: is anybody left to send or receive?
- goroutines inside net/http (``persistConn`` loops piling up) are traced back to the user's
  code that causes them: response bodies never closed, transports built per call
  (``explain_http``).

The result is one plain-words ``Explanation`` per group with a fix, the places in the source
that cause the leak, and the runtime evidence used. A group gets one only when something
concrete was found (a rule, a cause in the source, or runtime evidence on a suspect group): a
wrong explanation is worse than none. Frames in the Go standard library are never looked up as
user code. Source problems (unreadable files, no parser, syntax errors, a failing scan) leave a
group unexplained and never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from goleash.analysis.explain_http import (
    IDLE_PER_HOST,
    BodyCause,
    ConnRole,
    TransportCause,
    awaiting_response,
    body_causes,
    client_of,
    conn_role,
    per_call_transports,
    user_package,
)
from goleash.analysis.explain_locks import KeptLock, holds, kept_by_return, lock_id
from goleash.analysis.explain_objects import Waited, receives_from, sends_on, waited_on
from goleash.analysis.explain_rules import (
    RULE_KINDS,
    RULE_WAITS,
    Site,
    in_goroot,
    match_rule,
    rule_titles,
    scan_files,
)
from goleash.analysis.explain_source import GoSource
from goleash.analysis.ignore import IgnorePacks
from goleash.analysis.suspects import Assessment
from goleash.model import Finding, Frame, Group, Snapshot
from goleash.sources.sourcefiles import locate, module_root

__all__ = ["Cause", "Explanation", "confirm_findings", "explain"]

# Go files of one package folder read for context (findings on the same mutex elsewhere).
_MAX_PACKAGE_FILES = 400


@dataclass(frozen=True, slots=True)
class Cause:
    """A place in the source that causes the leak (or keeps it going)."""

    file: str  # local path
    line: int
    code: str  # the line, stripped
    note: str  # what is wrong there
    rule: str = ""  # the `goleash scan` rule that finds this cause, when one does


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a group's goroutines will never be released, and the fix.

    ``rule`` (with ``title``, ``message``, ``file``, ``line`` and ``site``) is set when a static
    rule of ``goleash scan`` names the pattern; "" otherwise.
    """

    text: str  # plain words: what the goroutines wait on and why nobody will release them
    fix: str
    objects: tuple[str, ...] = ()  # the Go objects involved, as code names them
    causes: tuple[Cause, ...] = ()
    evidence: tuple[str, ...] = ()  # what the dump itself shows
    rule: str = ""
    title: str = ""
    message: str = ""
    file: str = ""
    line: int = 0
    site: str = ""  # "blocking" | "creation" | "" (no rule)


def explain(
    assessments: Sequence[Assessment],
    *,
    source_roots: Sequence[Path] = (),
    resolve: Callable[[str], Path | None] | None = None,
    groups: Sequence[Group] | None = None,
) -> dict[str, Explanation]:
    """Signature → explanation for the groups whose leak goleash can explain from the source.

    ``resolve`` maps a file as the dump prints it to a local file (default: the file itself,
    else under ``source_roots`` through the module path of their ``go.mod`` or by ever shorter
    tails of its path). ``groups`` are all groups of the snapshot, for runtime evidence (who
    holds a lock, who is left to send); by default those of ``assessments``. Ignored groups are
    only explained when they are net/http connection goroutines the source explains.
    """
    roots = tuple(source_roots)

    def find(file: str) -> Path | None:
        return resolve(file) if resolve is not None else locate(file, roots)

    chosen = [
        a
        for a in assessments
        if (a.ignored is None and a.kind not in ("running", "runnable"))
        or conn_role(a.group) is not None
    ]
    chosen.sort(key=lambda a: not a.suspect)  # stable: suspects first, in the given order
    if not chosen:
        return {}
    everyone = tuple(groups) if groups is not None else tuple(a.group for a in assessments)
    try:
        return _Explainer(find, roots, everyone).run(chosen)
    except Exception:  # source problems never fail the dump
        return {}


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _where(path: Path | str, line: int) -> str:
    return f"{Path(path).name}:{line}"


def _short(function: str) -> str:
    """``example.com/svc.(*inventory).get`` → ``(*inventory).get``."""
    tail = function[function.rfind("/") + 1 :]
    return tail.split(".", 1)[1] if "." in tail else tail


class _Explainer:
    def __init__(
        self, find: Callable[[str], Path | None], roots: tuple[Path, ...], groups: tuple[Group, ...]
    ) -> None:
        self._find = find
        self._roots = roots
        self._groups = groups
        self._paths: dict[str, Path | None] = {}
        self._sources: dict[Path, GoSource | None] = {}
        self._findings: dict[Path, list[Finding]] = {}
        self._module_done: dict[Path, tuple[list[BodyCause], list[TransportCause]]] = {}
        self._timeouts: dict[Path, list[Finding]] = {}
        self._frames_of: dict[str, list[tuple[Frame, GoSource]]] = {}
        # Blocking lines of every group of the dump, read once: (group, line text).
        self._blocked_lines: list[tuple[Group, str]] | None = None

    # --- files ---------------------------------------------------------------------------------

    def _path(self, file: str) -> Path | None:
        if file not in self._paths:
            path = self._find(file)
            if path is not None:
                try:
                    path = path.resolve()
                    if not path.is_file() or path.suffix != ".go" or in_goroot(path):
                        path = None
                except OSError:
                    path = None
            self._paths[file] = path
        return self._paths[file]

    def source(self, path: Path) -> GoSource | None:
        if path not in self._sources:
            self._sources[path] = GoSource.read(path)
        return self._sources[path]

    def _site(self, frame: Frame | None, kind: str) -> Site | None:
        if frame is None or frame.line < 1 or frame.is_plumbing:
            return None
        path = self._path(frame.file)
        if path is None:
            return None
        src = self.source(path)
        return Site(frame, path, kind, src if src is not None and src.agrees(frame) else None)

    def _user_frames(self, group: Group) -> list[tuple[Frame, GoSource]]:
        """The frames of a group found in the local source (and agreeing with it)."""
        cached = self._frames_of.get(group.signature)
        if cached is not None:
            return cached
        found = []
        for f in group.frames:
            if f.is_plumbing or f.line < 1:
                continue
            path = self._path(f.file)
            src = self.source(path) if path is not None else None
            if src is not None and src.agrees(f):
                found.append((f, src))
        self._frames_of[group.signature] = found
        return found

    # --- the run -------------------------------------------------------------------------------

    def run(self, chosen: Sequence[Assessment]) -> dict[str, Explanation]:
        sites: dict[str, tuple[Site | None, Site | None]] = {}
        for a in chosen:
            group = a.group
            sites[group.signature] = (
                self._site(group.blocking_site, "blocking"),
                self._site(group.creation_site, "creation"),
            )
        folders = {s.path.parent for pair in sites.values() for s in pair if s is not None}
        files: list[Path] = []
        for folder in sorted(folders):
            files.extend(sorted(folder.glob("*.go"))[:_MAX_PACKAGE_FILES])
        if files:
            self._findings = scan_files(files)
        titles = rule_titles() if self._findings else {}  # the rules load tree-sitter
        result: dict[str, Explanation] = {}
        for a in chosen:
            blocking, creation = sites[a.group.signature]
            try:
                found = self._explain(a, blocking, creation, titles)
            except Exception:  # a surprise in one file must not cost the others
                found = None
            if found is not None:
                result[a.group.signature] = found
        return result

    def _explain(
        self, a: Assessment, blocking: Site | None, creation: Site | None, titles: dict[str, str]
    ) -> Explanation | None:
        role = conn_role(a.group)
        if role is not None:
            return self._http(a, role)
        if a.ignored is not None:
            return None
        request = awaiting_response(a.group)
        if request is not None:
            return self._no_response(a, request)
        rule: tuple[Finding, Site] | None = None
        if a.kind in RULE_KINDS or a.kind == "other":
            rule = match_rule(a, blocking, creation, self._findings)
        src = blocking.source if blocking is not None else None
        line = blocking.frame.line if blocking is not None else 0
        kind = a.kind
        waited = waited_on(kind, src, line) if src is not None else None
        story = _Story(a, blocking, creation, waited)
        if rule is not None:
            story.rule(rule[0], rule[1], titles.get(rule[0].rule, rule[0].rule), self.source)
        if src is not None and waited is not None:
            if waited.what in ("mutex", "RWMutex"):
                self._lock(story, src, line, waited)
            elif waited.what == "ticker" or (waited.what == "sleep"):
                self._loop(story, src, line, waited)
            elif waited.what == "channel" and waited.expr:
                self._peers(story, waited)
            elif waited.what == "WaitGroup":
                self._waitgroup(story, waited)
            elif waited.what == "Cond" and waited.expr:
                self._cond(story, creation, waited)
        if not story.concrete(a):
            return None
        return story.build(src)

    # --- knowledge areas -----------------------------------------------------------------------

    def _lock(self, story: _Story, src: GoSource, line: int, waited: Waited) -> None:
        if not waited.expr:
            return
        lock = lock_id(src, line, waited.expr)
        holders: list[tuple[Group, Frame, int]] = []
        unseen = False  # a goroutine runs code whose source is not here: it could hold it
        for g in self._groups:
            if g is story.a.group:
                continue
            mine = self._user_frames(g)
            unseen = unseen or any(
                not f.is_plumbing and user_package(f.function) and f not in dict(mine)
                for f in g.frames
            )
            for f, fsrc in mine:
                at = holds(fsrc, f.line, lock)
                if at is not None:
                    holders.append((g, f, at))
                    break
        if holders:
            story.holders(holders, waited, self.source)
            return
        package = [f for p, fs in self._findings.items() if p.parent == src.path.parent for f in fs]
        kept = kept_by_return(lock, package, self._sources)
        story.no_holder(waited, kept, self.source, seen_all=not unseen)

    def _loop(self, story: _Story, src: GoSource, line: int, waited: Waited) -> None:
        loop = src.loop_around(line)
        if loop is None or not loop.endless or loop.exits:
            return
        story.endless(src, loop.line, loop.header, waited)

    def _peers(self, story: _Story, waited: Waited) -> None:
        """Is anybody in the dump about to do the other half of this channel operation?"""
        sending = waited.sending
        if self._blocked_lines is None:
            self._blocked_lines = []
            for g in self._groups:
                site = g.blocking_site
                path = self._path(site.file) if site is not None else None
                src = self.source(path) if path is not None else None
                if site is not None and src is not None:
                    self._blocked_lines.append((g, src.line_text(site.line)))
        peers = 0
        for g, text in self._blocked_lines:
            if g is not story.a.group and (receives_from if sending else sends_on)(
                text, waited.expr
            ):
                peers += g.count
        story.peers(waited, peers, sending)

    def _cond(self, story: _Story, creation: Site | None, waited: Waited) -> None:
        """A Cond waiter: the function that started it returns before it signals the Cond."""
        src = creation.source if creation is not None else None
        if creation is None or src is None or not src.is_go_statement(creation.frame.line):
            return
        span = src.function_lines(creation.frame.line)
        if span is None:
            return
        name = waited.expr.rsplit(".", 1)[-1]
        signal = re.compile(rf"\b{re.escape(name)}\.(?:Broadcast|Signal)\(\)")
        after = src.lines_between(creation.frame.line + 1, span[1])
        signals = [n for n, text in after if signal.search(text.split("//", 1)[0])]
        if not signals:
            return
        returns = [
            n
            for n, text in after
            if n < signals[0]
            and re.match(r"^\s*return\b", text)
            and src.function_at(n) == src.function_at(creation.frame.line)
        ]
        if not returns:
            return
        ret = returns[0]
        story.definite = True
        story.why.append(
            f"{_short(creation.frame.function)} can return at line {ret} before it signals "
            f"`{waited.expr}` at line {signals[0]}, and nothing else will"
        )
        story.causes.append(
            Cause(str(src.path), ret, src.line_text(ret).strip(), "returns without signalling")
        )
        story.causes.append(
            Cause(str(src.path), signals[0], src.line_text(signals[0]).strip(), "the only signal")
        )
        story.fix = (
            f"Signal `{waited.expr}` on every path (Broadcast before each return, or in a "
            "defer), or let the waiter also stop on a context."
        )

    def _waitgroup(self, story: _Story, waited: Waited) -> None:
        creator = story.a.group.created_by
        if creator is None:
            return
        own = creator.function
        workers = sum(
            g.count
            for g in self._groups
            if g is not story.a.group and g.created_by is not None and g.created_by.function == own
        )
        if workers == 0:
            story.evidence.append(
                f"no goroutine started by {_short(own)} is left alive to call "
                f"{waited.expr or 'the WaitGroup'}.Done()"
            )

    def _http(self, a: Assessment, role: ConnRole) -> Explanation | None:
        modules = self._modules()
        bodies: list[BodyCause] = []
        transports: list[TransportCause] = []
        for root in modules:
            b, t = self._module_causes(root)
            bodies.extend(b)
            transports.extend(t)
        if role.loop == "readLoop":
            if role.waiting_for_body:
                transports = []
            else:
                bodies = []
        if not any(r is not None and r.waiting_for_body for r in map(conn_role, self._groups)):
            bodies = []  # no response body is held open in this dump: not the cause here
        if not role.waiting_for_body and a.group.count <= IDLE_PER_HOST:
            transports = []  # as many idle connections as one shared transport keeps per host
        if not bodies and not transports:
            return None
        if not role.waiting_for_body:
            # Connections of requests still waiting for their response are busy, not left over.
            in_flight = sum(g.count for g in self._groups if awaiting_response(g) is not None)
            if a.group.count <= in_flight:
                return None
        n = a.group.count
        are = _plural(n, "is", "are")
        head = f"{n} net/http client connection {_plural(n, 'goroutine', 'goroutines')}"
        if role.waiting_for_body:
            what = (
                f"{head} ({role.loop}) {are} waiting for a response body to be read or closed: "
                "while it is open the connection can be neither reused nor closed"
            )
        elif role.loop == "readLoop":
            what = (
                f"{head} ({role.loop}) {are} idle connections kept open by their transport: "
                "a transport made per call keeps its connections forever"
            )
        else:
            what = (
                f"{head} ({role.loop}) {are} connections that are never reused or closed: one "
                "pair of goroutines stays per response left open or per transport made per call"
            )
        causes = [
            Cause(
                b.file,
                b.line,
                b.code,
                f"the response body is never closed (in {b.function})",
                "unclosed-body",
            )
            for b in bodies
        ]
        causes += [
            Cause(
                t.file,
                t.line,
                t.code,
                f"a new Transport per call of {t.function}: its idle connections are never "
                "reused or closed",
            )
            for t in transports
        ]
        first = causes[0]
        text = f"{what}. Caused by {_where(first.file, first.line)}: {first.note}"
        if len(causes) > 1:
            text += f", and {len(causes) - 1} more {_plural(len(causes) - 1, 'place', 'places')}"
        fixes = []
        if bodies:
            fixes.append(
                "close every response body (`defer resp.Body.Close()` after the error check)"
            )
        if transports:
            fixes.append(
                "make one http.Client (and Transport) at start-up and reuse it for every request"
            )
        labels = a.group.labels
        evidence = []
        if labels:
            pairs = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
            evidence.append(f"the connections were dialled while serving {pairs}")
        return Explanation(
            text=text + ".",
            fix=("; ".join(fixes) + ".")[0].upper() + ("; ".join(fixes) + ".")[1:],
            objects=("http.Response.Body",) * bool(bodies) + ("http.Transport",) * bool(transports),
            causes=tuple(causes),
            evidence=tuple(evidence),
        )

    def _no_response(self, a: Assessment, request: Frame) -> Explanation | None:
        """Goroutines waiting for an HTTP response: the client that sent it has no timeout."""
        path = self._path(request.file)
        src = self.source(path) if path is not None else None
        if path is None or src is None or not src.agrees(request):
            return None
        call = src.line_text(request.line)
        client = client_of(call)
        if not client:
            return None
        name = client.rsplit(".", 1)[-1]
        causes = [Cause(str(path), request.line, call.strip(), "sends the request")]
        if client == "http":
            causes[0] = Cause(
                str(path), request.line, call.strip(), "uses http.DefaultClient: no timeout"
            )
        else:
            root = module_root(path)
            if root is not None:
                self._module_causes(root)
            word = re.compile(rf"\b{re.escape(name)}\b")
            for f in self._timeouts.get(root, []) if root is not None else []:
                fsrc = self.source(Path(f.file).resolve())
                text = fsrc.line_text(f.line) if fsrc is not None else ""
                if word.search(text.split("=", 1)[0]) or word.search(text.split(":", 1)[0]):
                    causes.append(
                        Cause(
                            f.file,
                            f.line,
                            text.strip(),
                            "a client without Timeout",
                            "http-client-no-timeout",
                        )
                    )
            if len(causes) == 1:
                return None
        n = a.group.count
        waited = ""
        if a.group.wait_minutes is not None:
            waited = f" for up to {a.group.wait_minutes[1]} minutes"
        text = (
            f"{n} {_plural(n, 'goroutine', 'goroutines')} {_plural(n, 'waits', 'wait')}"
            f"{waited} for an HTTP response at {_where(path, request.line)} in "
            f"{_short(request.function)}: the server does not answer and `{client}` sets no "
            f"timeout, so nothing ends the wait. Client declared at "
            f"{_where(causes[-1].file, causes[-1].line)}."
        )
        return Explanation(
            text=text,
            fix=(
                "Set `Timeout` on the http.Client, or send the request with a context that has "
                "a deadline (http.NewRequestWithContext)."
            ),
            objects=(f"http.Client `{client}`",),
            causes=tuple(causes),
            rule="http-client-no-timeout" if len(causes) > 1 and client != "http" else "",
        )

    def _modules(self) -> list[Path]:
        """The module folders of the user code in the dump."""
        roots: set[Path] = set()
        for g in self._groups:
            for f in (*g.frames, *((g.created_by,) if g.created_by else ())):
                if f.is_plumbing:
                    continue
                path = self._path(f.file)
                if path is not None:
                    root = module_root(path)
                    if root is not None:
                        roots.add(root)
        # Only modules the dump's own frames lead to: the source roots may hold another program.
        return sorted(roots)

    def _module_causes(self, root: Path) -> tuple[list[BodyCause], list[TransportCause]]:
        if root not in self._module_done:
            from goleash.analysis.explain_http import MAX_FILES

            files = []
            for p in root.rglob("*.go"):
                if any(
                    part in ("vendor", "testdata") or part.startswith(".")
                    for part in p.relative_to(root).parts[:-1]
                ):
                    continue
                files.append(p)
                if len(files) >= MAX_FILES:
                    break
            rules = ("unclosed-body", "http-client-no-timeout")
            found = scan_files(files, rules=rules) if files else {}
            for path in found:
                self.source(path)
            every = [f for fs in found.values() for f in fs]
            bodies = body_causes(every, self._sources)
            self._timeouts[root] = [f for f in every if f.rule == "http-client-no-timeout"]
            sources = [s for s in (self.source(p.resolve()) for p in files) if s is not None]
            self._module_done[root] = (bodies, per_call_transports(sources))
        return self._module_done[root]


class _Story:
    """An explanation being put together for one group."""

    def __init__(
        self, a: Assessment, blocking: Site | None, creation: Site | None, waited: Waited | None
    ) -> None:
        self.a = a
        self.blocking = blocking
        self.creation = creation
        self.waited = waited
        self.why: list[str] = []
        self.fix = ""
        self.causes: list[Cause] = []
        self.evidence: list[str] = []
        self.objects: list[str] = []
        self.finding: Finding | None = None
        self.finding_site = ""
        self.title = ""
        self.definite = False  # a rule or a cause in the source, not only runtime evidence
        if waited is not None and waited:
            self.objects.append(f"{waited.what} `{waited.expr}`" if waited.expr else waited.noun)

    @property
    def count(self) -> int:
        return self.a.group.count

    def rule(
        self, finding: Finding, site: Site, title: str, source: Callable[[Path], GoSource | None]
    ) -> None:
        self.finding, self.finding_site, self.title = finding, site.kind, title
        self.why.append(finding.message)
        self.fix = finding.fix
        self.definite = True
        src = source(Path(finding.file).resolve())
        code = src.line_text(finding.line).strip() if src is not None else ""
        self.causes.append(
            Cause(finding.file, finding.line, code, f"found by {finding.rule}", finding.rule)
        )
        if src is not None:
            for m in re.finditer(r"\bline (\d+)\b", finding.message):
                n = int(m.group(1))
                if n != finding.line and 0 < n <= src.line_count:
                    note = "the path it takes" if "return" in finding.message else "related"
                    ctx = finding.message[max(0, m.start() - 40) : m.start()]
                    if "return" in ctx:
                        note = "returns here and leaves it behind"
                    elif "receive" in ctx or "select" in ctx:
                        note = "the receive that can be skipped"
                    self.causes.append(
                        Cause(finding.file, n, src.line_text(n).strip(), note, finding.rule)
                    )

    def holders(
        self,
        holders: list[tuple[Group, Frame, int]],
        waited: Waited,
        source: Callable[[Path], GoSource | None],
    ) -> None:
        g, frame, at = holders[0]
        state = f" ({g.state})" if g.state else ""
        where = _where(frame.file, frame.line)
        stack = " ← ".join(
            f"{_short(f.function)} ({f.file_name}:{f.line})" for f in g.frames if not f.is_plumbing
        )
        n = sum(h[0].count for h in holders)
        self.why.append(
            f"`{waited.expr}` is held by {n} {_plural(n, 'goroutine', 'goroutines')} that locked "
            f"it at line {at} in {_short(frame.function)} and {_plural(n, 'is', 'are')} "
            f"{_plural(n, 'itself', 'themselves')} "
            f"blocked{state} at {where}, so it never unlocks"
        )
        self.evidence.append(f"holder's stack: {stack}")
        self.fix = self.fix or (
            f"Do not block while holding `{waited.expr}`: release it before the operation at "
            f"{where}, or give that operation a timeout or a ctx.Done() case."
        )
        self.definite = True
        path = self.blocking.path if self.blocking is not None else None
        if path is not None:
            src = source(path)
            if src is not None and Path(frame.file).name == path.name:
                self.causes.append(
                    Cause(
                        str(path),
                        frame.line,
                        src.line_text(frame.line).strip(),
                        "the holder blocks here",
                    )
                )

    def no_holder(
        self,
        waited: Waited,
        kept: list[KeptLock],
        source: Callable[[Path], GoSource | None],
        *,
        seen_all: bool,
    ) -> None:
        if seen_all:
            self.evidence.append(f"no goroutine in the dump holds `{waited.expr}`")
        if kept and self.finding is None:
            k = kept[0]
            src = source(Path(k.finding.file).resolve())
            self.why.append(
                f"nobody holds `{waited.expr}` any more: {k.function} locked it at line "
                f"{k.lock_line} and returned at line {k.return_line} without unlocking"
            )
            self.fix = k.finding.fix
            self.definite = True
            if src is not None:
                self.causes.append(
                    Cause(
                        k.finding.file,
                        k.return_line,
                        src.line_text(k.return_line).strip(),
                        "returns with the lock held",
                        "missing-unlock",
                    )
                )
                self.causes.append(
                    Cause(
                        k.finding.file,
                        k.lock_line,
                        src.line_text(k.lock_line).strip(),
                        "locked here",
                        "missing-unlock",
                    )
                )
        elif self.finding is None and seen_all:
            self.why.append(
                f"no goroutine holds `{waited.expr}`: a call locked it and returned without "
                "unlocking"
            )
            self.fix = (
                f"Unlock `{waited.expr}` on every return path: `defer {waited.expr}.Unlock()` "
                "right after Lock()."
            )

    def endless(self, src: GoSource, loop_line: int, header: str, waited: Waited) -> None:
        self.definite = True
        self.causes.append(Cause(str(src.path), loop_line, header, "the loop has no way out"))
        if waited.what == "ticker":
            made = f" (made at line {waited.ticker_line})" if waited.ticker_line else ""
            if self.finding is None:
                self.why.append(
                    f"the loop over ticker `{waited.expr}`{made} never ends: a ticker's channel "
                    "is never closed and the loop has no return or break"
                )
            self.fix = self.fix or (
                f"Select on `{waited.expr}.C` and `<-ctx.Done()` (or a stop channel), return on "
                f"the stop, and `defer {waited.expr}.Stop()`."
            )
        else:
            self.objects[:] = ["time.Sleep loop"]
            self.why.append(
                f"they sleep in `{header.rstrip('{ ').strip()}` at line {loop_line}, a loop with "
                "no return, break or stop signal: each one runs for the life of the process"
            )
            self.fix = self.fix or (
                "Give the loop a way to stop: wait with `select { case <-ticker.C: case "
                "<-ctx.Done(): return }` instead of time.Sleep, and cancel ctx when its owner "
                "is done."
            )

    def peers(self, waited: Waited, peers: int, sending: bool) -> None:
        if peers:
            return
        if sending:
            self.evidence.append(f"no goroutine in the dump is receiving from `{waited.expr}`")
        else:
            self.evidence.append(f"no goroutine in the dump is sending on `{waited.expr}`")
        if self.finding is None:
            op = "receive from" if sending else "send on"
            ops = "receives from" if sending else "sends on"
            if waited.ranging:
                self.why.append(
                    f"nobody is left to send on or close `{waited.expr}`: the range only ends "
                    "when the channel is closed"
                )
                self.fix = f"Close `{waited.expr}` when the last value has been sent."
            else:
                self.why.append(f"nobody is left to {op} `{waited.expr}`")
                self.fix = (
                    f"Make sure some goroutine always {ops} `{waited.expr}`, or "
                    + (
                        "buffer it for every sender (make(chan T, n))"
                        if sending
                        else "close it when no value will come"
                    )
                    + ", or select on ctx.Done() as well."
                )

    def concrete(self, a: Assessment) -> bool:
        """Enough is known to say something true: a rule or a cause in the source, or runtime
        evidence about a suspect group."""
        if self.definite:
            return True
        return a.suspect and bool(self.why)

    def build(self, src: GoSource | None) -> Explanation:
        a, g = self.a, self.a.group
        n = g.count
        goroutines = f"{n} {_plural(n, 'goroutine', 'goroutines')}"
        verb = self._verb(n)
        where = ""
        if self.blocking is not None:
            where = (
                f" at {_where(self.blocking.path, self.blocking.frame.line)} in "
                f"{_short(self.blocking.frame.function)}"
            )
        text = f"{goroutines} {verb}{where}"
        if self.why:
            text += "; " + "; ".join(self.why)
        creator = g.created_by
        if creator is not None and not creator.is_plumbing:
            started = f"started at {creator.file_name}:{creator.line} by {_short(creator.function)}"
            if g.orphans and g.with_parent:
                started += f", which has returned ({g.orphans} of {g.with_parent})"
            elif g.creator_returned and g.with_parent:
                started += f", which has moved on ({g.creator_returned} of {g.with_parent})"
            text += f". {started[0].upper()}{started[1:]}"
        f = self.finding
        return Explanation(
            text=text + ".",
            fix=self.fix or _GENERIC_FIX.get(a.kind, "Give the goroutine a way to stop."),
            objects=tuple(dict.fromkeys(self.objects)),
            causes=_first_per_line(self.causes),
            evidence=tuple(self.evidence),
            rule=f.rule if f else "",
            title=self.title,
            message=f.message if f else "",
            file=f.file if f else "",
            line=f.line if f else 0,
            site=self.finding_site,
        )

    def _verb(self, n: int) -> str:
        w = self.waited
        are = _plural(n, "is", "are")
        if w is not None and w.what == "sleep":
            return f"{_plural(n, 'sleeps', 'sleep')} in a loop"
        if w is None or not w:
            state = self.a.state or "parked"
            return f"{are} blocked ({state})"
        if w.what == "channel" and w.sending:
            return f"{are} stuck sending on channel `{w.expr}`"
        if w.what == "channel" and w.ranging:
            return f"{_plural(n, 'ranges', 'range')} over channel `{w.expr}`"
        if w.what == "channel":
            return f"{_plural(n, 'waits', 'wait')} to receive from channel `{w.expr}`"
        if w.what == "ticker":
            return f"{_plural(n, 'loops', 'loop')} on ticker `{w.expr}`"
        if w.what == "select":
            return f"{_plural(n, 'waits', 'wait')} in {w.noun}"
        if w.what in ("mutex", "RWMutex"):
            return f"{_plural(n, 'waits', 'wait')} to lock {w.what} `{w.expr}`"
        if w.what in ("WaitGroup", "Cond"):
            return f"{_plural(n, 'waits', 'wait')} on {w.what} `{w.expr}`"
        return f"{are} blocked"


def _first_per_line(causes: Sequence[Cause]) -> tuple[Cause, ...]:
    """One cause per source line: the first said about it."""
    seen: dict[tuple[str, int], Cause] = {}
    for c in causes:
        seen.setdefault((c.file, c.line), c)
    return tuple(seen.values())


_GENERIC_FIX = {
    "chan-send": "Buffer the channel for every sender, or send in a select with <-ctx.Done().",
    "chan-receive": "Make sure a value or a close always comes, or select on <-ctx.Done() too.",
    "select": "Add a case that ends the wait (<-ctx.Done() or a stop channel) and return on it.",
    "mutex": "Unlock on every path (defer Unlock right after Lock) and never block holding it.",
    "rwmutex": "Unlock on every path (defer Unlock right after Lock) and never block holding it.",
    "waitgroup": "Call Done with defer as each worker's first statement.",
    "cond": "Signal or Broadcast the Cond on every path that changes its condition.",
    "sleep": "Give the loop a way to stop: select on a ticker and <-ctx.Done().",
}


def confirm_findings(
    findings: Sequence[Finding],
    snapshot: Snapshot,
    *,
    source_roots: Sequence[Path] = (),
    ignore: IgnorePacks | None = None,
) -> tuple[list[Finding], int]:
    """Findings of ``goleash scan`` with those a dump of the program confirms marked.

    A finding is confirmed when a group of the dump that is not ignored is explained by it
    (the rule and line an explanation names, or a cause it leads to: the call whose body is
    never closed, the return that kept a lock), or when the group blocks on the finding's very
    line. Its message then ends with what the dump shows there. Returns the findings (in their
    order) and how many were confirmed.
    """
    from goleash.analysis.ignore import load_ignore_packs
    from goleash.analysis.suspects import assess

    assessments = assess(snapshot, ignore if ignore is not None else load_ignore_packs(None))
    roots = tuple(source_roots)
    found = explain(assessments, source_roots=roots, groups=snapshot.groups)

    def key(file: str, line: int) -> tuple[str, int]:
        try:
            return str(Path(file).resolve()), line
        except OSError:
            return file, line

    # (file, line, rule) -> the groups that show it at runtime
    shown: dict[tuple[str, int, str], list[Assessment]] = {}
    for a in assessments:
        if a.ignored is not None and a.group.signature not in found:
            continue
        e = found.get(a.group.signature)
        if e is not None:
            if e.rule:
                shown.setdefault((*key(e.file, e.line), e.rule), []).append(a)
            for c in e.causes:
                if c.rule:
                    shown.setdefault((*key(c.file, c.line), c.rule), []).append(a)
        site = a.group.blocking_site
        if site is not None and a.suspect:
            local = locate(site.file, roots)
            if local is not None:
                # A finding on the very line a suspect group blocks at, of a rule that
                # causes that kind of wait.
                for rule, waits in RULE_WAITS.items():
                    if a.kind in waits:
                        shown.setdefault((*key(str(local), site.line), rule), []).append(a)
    out: list[Finding] = []
    confirmed = 0
    for f in findings:
        groups = shown.get((*key(f.file, f.line), f.rule))
        if not groups:
            out.append(f)
            continue
        confirmed += 1
        n = sum(a.group.count for a in groups)
        leaked = sum(a.group.leaked for a in groups)
        a = groups[0]
        site = a.group.blocking_site
        where = f" at {site.file_name}:{site.line}" if site is not None else ""
        state = a.state or "blocked"
        proof = f", {leaked} marked leaked by the runtime" if leaked else ""
        note = (
            f" [confirmed by the dump: {n} {_plural(n, 'goroutine', 'goroutines')} "
            f"{state}{where}{proof}]"
        )
        out.append(f._replace(message=f.message + note))
    return out, confirmed
