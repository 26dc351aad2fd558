"""Ignore packs: goroutines that are always there and harmless.

The packs shipped with goleash live in ``ignore_default.py`` beside this module; users add
their own in ``.goleash.toml`` (current directory, or ``--config PATH``)::

    [[dump.ignore]]
    name = "our-cache"                    # the pack name shown in reports
    function = 'example\\.com/cache\\.'   # regular expression, matched at the start of a name
    where = "any"                         # blocking | any | creator | top
    reason = "cache janitor, one per process"

An entry may give ``prefix`` (a plain function-name prefix) instead of ``function``, and
``state`` (a regular expression the normalised wait reason must match in full).

Patterns are matched with ``str.startswith`` where they are plain names or alternations of
names (all of the default packs but two), and compiled only when a name starts with their
literal part: compiling every pattern cost more than the rest of a small ``goleash dump``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from functools import cache

from goleash.analysis.waits import normalise_state
from goleash.errors import InputError
from goleash.model import Group
from goleash.records import NamedTuple
from goleash.sources.sourcefiles import is_file

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    import re
    from pathlib import Path
    from typing import Any

CONFIG_NAME = ".goleash.toml"
WHERE: tuple[str, ...] = ("blocking", "any", "creator", "top")
_KEYS = {"name", "where", "prefix", "function", "state", "reason"}


@cache
def _regex(source: str) -> re.Pattern[str]:
    """A pattern compiled once per process, on first use (``re`` too: most dumps never need
    it, and it costs start-up time)."""
    import re

    return re.compile(source)


# What re.escape puts a backslash in front of (Python 3.7+), and the escape written by hand:
# the packs' plain prefixes are escaped when read, and ``re`` costs start-up time.
_SPECIAL = str.maketrans({c: "\\" + c for c in "()[]{}?*+-|^$\\.&~# \t\n\r\v\f"})


def escape(text: str) -> str:
    """``re.escape(text)``."""
    return text.translate(_SPECIAL)


_Known = Mapping[str, tuple[tuple[str, ...], bool]]  # pattern -> (its prefixes, exact)


class Pattern(NamedTuple):
    """A regular expression of an ignore entry, tested as cheaply as its text allows."""

    source: str  # the regular expression, as written
    prefixes: tuple[str, ...]  # every match starts with one of these
    exact: bool  # the pattern is nothing but ``prefixes`` (see goleash.analysis.literal)

    @classmethod
    def of(cls, source: str, known: Mapping[str, tuple[tuple[str, ...], bool]] = {}) -> Pattern:
        """The pattern of ``source``; its prefixes from ``known`` when it holds them (worked
        out in advance), else read by goleash.analysis.literal."""
        if source in known:
            prefixes, exact = known[source]
            return cls(source, prefixes, exact)
        from goleash.analysis.literal import literal

        found = literal(source)
        return cls(source, found.prefixes, found.exact)

    def match(self, text: str) -> bool:
        """``re.match(source, text)``: a match at the start of ``text``."""
        if not text.startswith(self.prefixes):
            return False
        return self.exact or _regex(self.source).match(text) is not None

    def fullmatch(self, text: str) -> bool:
        """``re.fullmatch(source, text)``."""
        if self.exact:
            return text in self.prefixes
        return text.startswith(self.prefixes) and _regex(self.source).fullmatch(text) is not None


class IgnoreRule(NamedTuple):
    """One way a pack recognises its goroutines."""

    name: str
    where: str
    pattern: Pattern  # the function name (a ``prefix`` entry is an exact pattern)
    reason: str
    state: Pattern | None = None

    def matches(self, group: Group, state: str) -> bool:
        """True when the group's frames (and wait reason) fit this rule."""
        if self.state is not None and not self.state.fullmatch(state):
            return False
        if self.where == "creator":
            names = [group.created_by.function] if group.created_by else []
        elif self.where == "blocking":
            site = group.blocking_site
            names = [site.function] if site else []
        elif self.where == "top":
            names = [group.frames[0].function] if group.frames else []
        else:
            names = [f.function for f in group.frames]
        return any(self.pattern.match(n) for n in names)


class IgnorePacks:
    """The ignore rules in force: the default packs, then the user's."""

    __slots__ = ("_any", "_blocking", "_creator", "_top", "rules")

    def __init__(self, rules: tuple[IgnoreRule, ...]) -> None:
        self.rules = rules
        # Per place a rule looks, every prefix its names could start with: a group none of
        # whose names starts with one is covered by no rule, which settles most groups of a
        # large dump in a few str.startswith calls each.
        self._any, self._blocking, self._creator, self._top = (
            tuple(p for r in rules if r.where == where for p in r.pattern.prefixes)
            for where in ("any", "blocking", "creator", "top")
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IgnorePacks) and other.rules == self.rules

    def __hash__(self) -> int:
        return hash(self.rules)

    def __repr__(self) -> str:
        return f"IgnorePacks(rules={self.rules!r})"

    def match(self, group: Group) -> str | None:
        """The name of the first pack that covers this group, or None."""
        rule = self.match_rule(group)
        return rule.name if rule is not None else None

    def match_rule(self, group: Group) -> IgnoreRule | None:
        """The first rule that covers this group (it carries the pack name and the reason)."""
        if not self.rules or not self._may_match(group):
            return None
        state = normalise_state(group.state, group.frames)
        for rule in self.rules:
            if rule.matches(group, state):
                return rule
        return None

    def _may_match(self, group: Group) -> bool:
        frames = group.frames
        if frames and frames[0].function.startswith(self._top):
            return True
        creator = group.created_by
        if creator is not None and creator.function.startswith(self._creator):
            return True
        site = group.blocking_site
        if site is not None and site.function.startswith(self._blocking):
            return True
        any_prefixes = self._any
        return any(f.function.startswith(any_prefixes) for f in frames)


def _compile(text: str, what: str, origin: str, check: bool, known: _Known) -> Pattern:
    """The pattern of an entry; one that is not plain text is compiled now when ``check``, so a
    mistake in a config file is reported when it is read."""
    pattern = Pattern.of(text, known)
    if check and not pattern.exact:
        import re

        try:
            _regex(text)
        except re.error as e:
            raise InputError(f"{origin}: invalid regular expression in {what} {text!r}: {e}") from e
    return pattern


def parse_rules(
    entries: Sequence[Any],
    origin: str,
    *,
    check_patterns: bool = True,
    known: _Known = {},  # noqa: B006 -- never changed
) -> tuple[IgnoreRule, ...]:
    """Validate ignore entries read from TOML; any mistake is an InputError naming ``origin``.

    The packs shipped with goleash come with ``check_patterns=False``, which leaves regular
    expressions to be compiled when first used (its tests compile them), and with ``known``,
    the prefixes of their patterns worked out in advance (see Pattern.of).
    """
    rules = []
    for i, entry in enumerate(entries, 1):
        where_am_i = f"{origin}: ignore entry {i}"
        if not isinstance(entry, Mapping):
            raise InputError(f"{where_am_i} is not a table")
        unknown = set(entry) - _KEYS
        if unknown:
            raise InputError(f"{where_am_i} has unknown keys: {', '.join(sorted(unknown))}")
        for key in _KEYS & set(entry):
            if not isinstance(entry[key], str):
                raise InputError(f"{where_am_i}: {key} must be a string")
        name = entry.get("name")
        if not name:
            raise InputError(f"{where_am_i} needs a name")
        where = entry.get("where", "any")
        if where not in WHERE:
            raise InputError(f"{where_am_i}: where must be one of {', '.join(WHERE)}")
        if ("prefix" in entry) == ("function" in entry):
            raise InputError(f"{where_am_i} needs exactly one of function (regex) or prefix")
        if "prefix" in entry:
            pattern = Pattern(escape(entry["prefix"]), (entry["prefix"],), exact=True)
        else:
            pattern = _compile(entry["function"], "function", where_am_i, check_patterns, known)
        state = None
        if "state" in entry:
            state = _compile(entry["state"], "state", where_am_i, check_patterns, known)
        reason = entry.get("reason") or f"ignored by {origin}"
        rules.append(IgnoreRule(name, where, pattern, reason, state))
    return tuple(rules)


def _read_toml(path: Path) -> dict[str, Any]:
    # Imported here: only a user's config file is TOML, and tomllib costs start-up time.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a config file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read config: {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: invalid TOML: {e}") from None


def default_packs() -> IgnorePacks:
    """The packs shipped with goleash."""
    from goleash.analysis.ignore_default import ENTRIES, LITERALS

    rules = parse_rules(ENTRIES, "ignore_default.py", check_patterns=False, known=LITERALS)
    return IgnorePacks(rules)


def load_ignore_packs(config_path: Path | None) -> IgnorePacks:
    """Default packs plus ``[[dump.ignore]]`` entries from a config file.

    With no path, ``.goleash.toml`` in the current directory is read when it exists. A path that
    was asked for but is missing or malformed is an InputError.
    """
    packs = default_packs()
    path = config_path
    if path is None:
        # Strings, not Paths: pathlib costs start-up time, and most folders have no config.
        candidate = os.path.join(os.getcwd(), CONFIG_NAME)
        if not is_file(candidate):
            return packs
        from pathlib import Path

        path = Path(candidate)
    data = _read_toml(path)
    dump = data.get("dump", {})
    if not isinstance(dump, Mapping):
        raise InputError(f"{path}: [dump] must be a table")
    entries = dump.get("ignore", [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: dump.ignore must be an array of tables ([[dump.ignore]])")
    return IgnorePacks(packs.rules + parse_rules(entries, str(path)))
