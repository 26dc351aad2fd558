"""Scan configuration: what the user asked for on the command line and in a config file.

A config file is ``.goleash.toml`` or the ``[tool.goleash]`` table of a ``pyproject.toml``,
found from the scanned root upward (the first one wins), or named with ``--config``::

    [scan]
    enable = ["abandoned-send"]      # only these rules (default: all)
    disable = ["http-no-timeout"]
    exclude = ["gen/*", "*.pb.go"]   # globs, relative to the config file's folder
    tests = "lower"                  # _test.go files: "lower" severity, "exclude", or "same"

    [scan.severity]
    defer-in-loop = "info"
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goleash.errors import InputError
from goleash.model import SEVERITIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from goleash.lint.rules.base import Rule

TEST_MODES = ("lower", "exclude", "same")
_SCAN_KEYS = {"enable", "disable", "exclude", "severity", "tests", "cache-dir"}


@dataclass(frozen=True)
class ScanConfig:
    """Everything that changes what a scan reports. Default: every rule, tests at lower severity."""

    enable: tuple[str, ...] = ()  # empty: every rule
    disable: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # globs
    exclude_base: Path | None = None  # globs are relative to this folder (the config file's)
    severity: Mapping[str, str] = field(default_factory=dict)  # rule id -> severity
    tests: str = "lower"  # "lower" | "exclude" | "same"
    use_cache: bool = True
    cache_dir: Path | None = None  # default: the user cache folder (cache.default_cache_dir)
    jobs: int | None = None  # worker processes; None: all cores
    profile: bool = False  # time each rule
    rules: tuple[Rule, ...] | None = None  # None: every discovered rule
    source: Path | None = None  # the config file read, if any
    warnings: tuple[str, ...] = ()  # problems found while reading the config

    def selected_rules(self) -> tuple[Rule, ...]:
        """The rules this configuration runs, sorted by id."""
        from goleash.lint.rules import all_rules

        rules = self.rules if self.rules is not None else all_rules()
        chosen = [
            r
            for r in rules
            if (not self.enable or r.id in self.enable)
            and r.id not in self.disable
            and self.severity.get(r.id) != "off"
        ]
        return tuple(sorted(chosen, key=lambda r: r.id))


def find_config_file(start: Path) -> Path | None:
    """The nearest ``.goleash.toml`` or ``pyproject.toml`` with ``[tool.goleash]``, walking up."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder.resolve(), *folder.resolve().parents):
        dotfile = candidate / ".goleash.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                if b"[tool.goleash" in pyproject.read_bytes():
                    return pyproject
            except OSError:
                continue
    return None


def load_config(path: Path, *, known_rules: Sequence[str]) -> ScanConfig:
    """Read a config file. Invalid TOML or wrong value types raise InputError (exit 2);
    unknown rule ids and unknown keys become warnings."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"cannot read config {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise InputError(f"config {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"invalid TOML in config {path}: {e}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("goleash", {})
    if not isinstance(data, dict):
        raise InputError(f"config {path}: [tool.goleash] must be a table")
    return config_from_table(data, path=path, known_rules=known_rules)


def config_from_table(
    data: Mapping[str, Any], *, path: Path, known_rules: Sequence[str]
) -> ScanConfig:
    """A ScanConfig from a parsed config table (the file's root or ``[tool.goleash]``)."""
    warnings: list[str] = []
    for key in data:
        if key != "scan":
            warnings.append(f"config {path}: unknown key {key!r} (ignored)")
    scan = data.get("scan", {})
    if not isinstance(scan, dict):
        raise InputError(f"config {path}: [scan] must be a table")
    for key in scan:
        if key not in _SCAN_KEYS:
            warnings.append(f"config {path}: unknown key scan.{key} (ignored)")

    def strings(key: str) -> tuple[str, ...]:
        value = scan.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"config {path}: scan.{key} must be a list of strings")
        return tuple(value)

    enable, disable, exclude = strings("enable"), strings("disable"), strings("exclude")
    severity = scan.get("severity", {})
    if not isinstance(severity, dict):
        raise InputError(f"config {path}: [scan.severity] must be a table")
    for rule_id, level in severity.items():
        if level not in (*SEVERITIES, "off"):
            raise InputError(
                f"config {path}: scan.severity.{rule_id} = {level!r}: "
                "use error, warning, info or off"
            )
    tests = scan.get("tests", "lower")
    if tests not in TEST_MODES:
        raise InputError(f"config {path}: scan.tests = {tests!r}: use lower, exclude or same")
    cache_dir = scan.get("cache-dir")
    if cache_dir is not None and not isinstance(cache_dir, str):
        raise InputError(f"config {path}: scan.cache-dir must be a string (a folder)")
    known = set(known_rules)
    for rule_id in sorted({*enable, *disable, *severity}):
        if rule_id not in known:
            warnings.append(f"config {path}: unknown rule {rule_id!r} (see `goleash rules`)")
    return ScanConfig(
        enable=enable,
        disable=disable,
        exclude=exclude,
        exclude_base=path.parent.resolve(),
        severity=dict(severity),
        tests=tests,
        # Relative to the config file, like the exclude globs.
        cache_dir=(path.parent / cache_dir).resolve() if cache_dir else None,
        source=path,
        warnings=tuple(warnings),
    )


def with_overrides(
    config: ScanConfig,
    *,
    enable: Sequence[str] = (),
    disable: Sequence[str] = (),
    no_tests: bool = False,
    **options: Any,
) -> ScanConfig:
    """The config with command-line options applied on top (they win over the file)."""
    return replace(
        config,
        enable=tuple(dict.fromkeys((*config.enable, *enable))) if enable else config.enable,
        disable=tuple(dict.fromkeys((*config.disable, *disable))),
        tests="exclude" if no_tests else config.tests,
        **options,
    )
