"""Ignore packs: goroutines that are always there and harmless.

The packs shipped with goleash live in ``ignore_default.toml`` beside this module; users add
their own in ``.goleash.toml`` (current directory, or ``--config PATH``)::

    [[dump.ignore]]
    name = "our-cache"                    # the pack name shown in reports
    function = 'example\\.com/cache\\.'   # regular expression, matched at the start of a name
    where = "any"                         # blocking | any | creator | top
    reason = "cache janitor, one per process"

An entry may give ``prefix`` (a plain function-name prefix) instead of ``function``, and
``state`` (a regular expression the normalised wait reason must match in full).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goleash.analysis.waits import normalise_state
from goleash.errors import InputError
from goleash.model import Group

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = ".goleash.toml"
WHERE: tuple[str, ...] = ("blocking", "any", "creator", "top")
_KEYS = {"name", "where", "prefix", "function", "state", "reason"}


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One way a pack recognises its goroutines."""

    name: str
    where: str
    pattern: re.Pattern[str]
    reason: str
    state: re.Pattern[str] | None = None

    def matches(self, group: Group, state: str) -> bool:
        """True when the group's frames (and wait reason) fit this rule."""
        if self.state is not None and self.state.fullmatch(state) is None:
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


@dataclass(frozen=True, slots=True)
class IgnorePacks:
    """The ignore rules in force: the default packs, then the user's."""

    rules: tuple[IgnoreRule, ...]
    # Every rule's pattern in one alternation: a group none of whose functions match it is
    # covered by no rule, which settles most groups of a large dump in one regex call each.
    _any_rule: re.Pattern[str] | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        try:
            union = re.compile("|".join(f"(?:{r.pattern.pattern})" for r in self.rules))
        except re.error:  # a user pattern with inline flags cannot be joined: no shortcut
            union = None
        object.__setattr__(self, "_any_rule", union if self.rules else None)

    def match(self, group: Group) -> str | None:
        """The name of the first pack that covers this group, or None."""
        rule = self.match_rule(group)
        return rule.name if rule is not None else None

    def match_rule(self, group: Group) -> IgnoreRule | None:
        """The first rule that covers this group (it carries the pack name and the reason)."""
        if not self.rules:
            return None
        union = self._any_rule
        if union is not None:
            names = [f.function for f in group.frames]
            if group.created_by is not None:
                names.append(group.created_by.function)
            if not any(union.match(n) for n in names):
                return None
        state = normalise_state(group.state, group.frames)
        for rule in self.rules:
            if rule.matches(group, state):
                return rule
        return None


def _compile(text: str, what: str, origin: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as e:
        raise InputError(f"{origin}: invalid regular expression in {what} {text!r}: {e}") from e


def parse_rules(entries: Sequence[Any], origin: str) -> tuple[IgnoreRule, ...]:
    """Validate ignore entries read from TOML; any mistake is an InputError naming ``origin``."""
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
            pattern = re.compile(re.escape(entry["prefix"]))
        else:
            pattern = _compile(entry["function"], "function", where_am_i)
        state = _compile(entry["state"], "state", where_am_i) if "state" in entry else None
        reason = entry.get("reason") or f"ignored by {origin}"
        rules.append(IgnoreRule(name, where, pattern, reason, state))
    return tuple(rules)


def _read_toml(path: Path) -> dict[str, Any]:
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
    # Beside this module in every install (package data); importlib.resources costs ~15 ms of
    # start-up for the same answer.
    text = (Path(__file__).parent / "ignore_default.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return IgnorePacks(parse_rules(data.get("ignore", []), "ignore_default.toml"))


def load_ignore_packs(config_path: Path | None) -> IgnorePacks:
    """Default packs plus ``[[dump.ignore]]`` entries from a config file.

    With no path, ``.goleash.toml`` in the current directory is read when it exists. A path that
    was asked for but is missing or malformed is an InputError.
    """
    packs = default_packs()
    path = config_path
    if path is None:
        candidate = Path.cwd() / CONFIG_NAME
        if not candidate.is_file():
            return packs
        path = candidate
    data = _read_toml(path)
    dump = data.get("dump", {})
    if not isinstance(dump, Mapping):
        raise InputError(f"{path}: [dump] must be a table")
    entries = dump.get("ignore", [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: dump.ignore must be an array of tables ([[dump.ignore]])")
    return IgnorePacks(packs.rules + parse_rules(entries, str(path)))
