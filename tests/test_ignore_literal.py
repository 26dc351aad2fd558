"""Ignore packs tested with str.startswith instead of compiled patterns: the same matches.

``goleash.analysis.literal`` reads the literal prefixes of a pattern without compiling it; the
ignore packs rely on it to rule names out (always) and to decide matches (when the pattern is
exact). Both are checked against ``re`` itself: on generated patterns, and on every group of
every captured dump with the packs in force.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goleash.analysis.ignore import IgnorePacks, IgnoreRule, default_packs, parse_rules
from goleash.analysis.literal import literal
from goleash.analysis.waits import normalise_state
from goleash.dumps import read_snapshots
from goleash.errors import InputError
from goleash.model import Group

FIXTURES = Path(__file__).parent / "fixtures" / "dumps"

# Small alphabets so that generated texts often hit generated patterns.
_PATTERN_TOKENS = st.sampled_from(
    ["a", "b", ".", "\\.", "(", "(?:", ")", "|", "?", "*", "+", "$", "^", "[ab]", "\\d", "{2}"]
)
_TEXTS = st.text(alphabet="ab.\n1", max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PATTERN_TOKENS, max_size=8).map("".join), st.lists(_TEXTS, max_size=12))
def test_prefixes_agree_with_re(pattern: str, texts: list[str]) -> None:
    try:
        rx = re.compile(pattern)
    except re.error:
        return
    found = literal(pattern)
    for text in texts:
        matched = rx.match(text) is not None
        if matched:
            assert text.startswith(found.prefixes), (pattern, text, found)
        if found.exact:
            assert matched == text.startswith(found.prefixes), (pattern, text, found)
            assert (rx.fullmatch(text) is not None) == (text in found.prefixes), (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "prefixes", "exact"),
    [
        (r"runtime\.(bgsweep|runfinq)", ("runtime.bgsweep", "runtime.runfinq"), True),
        (r"a|b(?:c|d)e", ("a", "bce", "bde"), True),
        (r"k8s\.io/klog(/v2)?\.run", ("k8s.io/klog",), False),
        (r"main\.main$", ("main.main",), False),
        (r"select|", ("select", ""), True),
        (r"(?i)main", ("",), False),
        (r"[ab]c", ("",), False),
        (r"ab+c|d", ("a", "d"), False),
        (r"a)", ("",), False),
        (r"(a", ("",), False),
    ],
)
def test_prefixes_of_typical_patterns(pattern: str, prefixes: tuple[str, ...], exact: bool) -> None:
    assert literal(pattern) == (prefixes, exact)


def _reference(rules: tuple[IgnoreRule, ...], group: Group) -> IgnoreRule | None:
    """The first rule that covers the group, every pattern compiled as written."""
    state = normalise_state(group.state, group.frames)
    for rule in rules:
        if rule.state is not None and re.fullmatch(rule.state.source, state) is None:
            continue
        if rule.where == "creator":
            names = [group.created_by.function] if group.created_by else []
        elif rule.where == "blocking":
            site = group.blocking_site
            names = [site.function] if site else []
        elif rule.where == "top":
            names = [group.frames[0].function] if group.frames else []
        else:
            names = [f.function for f in group.frames]
        if any(re.match(rule.pattern.source, n) for n in names):
            return rule
    return None


def _fixture_groups() -> list[Group]:
    groups: list[Group] = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.suffix == ".py":
            continue
        try:
            snapshots = read_snapshots(io.BytesIO(path.read_bytes()), source=str(path))
        except InputError:
            continue
        for snap in snapshots:
            groups.extend(snap.groups)
            groups.extend(snap.runtime_groups)
    return groups


def test_default_packs_match_as_the_compiled_patterns_do_on_every_captured_group() -> None:
    packs = default_packs()
    groups = _fixture_groups()
    assert len(groups) > 100
    hits = 0
    for group in groups:
        expected = _reference(packs.rules, group)
        assert packs.match_rule(group) == expected, group
        hits += expected is not None
    assert hits > 20  # the packs do cover some of them


def test_user_patterns_outside_the_literal_subset_match_as_compiled() -> None:
    user = parse_rules(
        [
            {"name": "flags", "function": "(?i)MAIN\\.", "where": "top"},
            {"name": "class", "function": "main\\.[a-z]+Loop", "state": "chan (send|receive)"},
            {"name": "anchored", "function": "main\\.worker$", "where": "blocking"},
        ],
        "test",
    )
    packs = IgnorePacks(default_packs().rules + user)
    for group in _fixture_groups():
        assert packs.match_rule(group) == _reference(packs.rules, group), group


def test_invalid_user_pattern_is_reported_when_read() -> None:
    with pytest.raises(InputError, match=r"invalid regular expression in function '\(a'"):
        parse_rules([{"name": "x", "function": "(a"}], "cfg.toml")
    with pytest.raises(InputError, match=r"invalid regular expression in state 'a\['"):
        parse_rules([{"name": "x", "prefix": "a", "state": "a["}], "cfg.toml")


def test_the_shipped_packs_prefixes_worked_out_in_advance_are_literals() -> None:
    # ignore_default.LITERALS saves every start the reading of the shipped patterns; it must
    # say exactly what literal() says of each of them, and every pattern must compile (the
    # shipped packs are not compiled when read).
    from goleash.analysis.ignore_default import ENTRIES, LITERALS

    worked_out, table = {}, []
    for i, entry in enumerate(ENTRIES):
        for key in ("function", "state"):
            pattern = entry.get(key)
            if pattern is not None and pattern not in worked_out:
                re.compile(pattern)
                found = literal(pattern)
                worked_out[pattern] = (found.prefixes, found.exact)
                table.append(f"    ENTRIES[{i}][{key!r}]: {worked_out[pattern]!r},")
    assert worked_out == LITERALS, (
        "ignore_default.LITERALS is out of date; its entries are now:\n" + "\n".join(table)
    )
    shipped = default_packs().rules
    assert all(
        r.pattern.prefixes == worked_out[r.pattern.source][0]
        for r in shipped
        if r.pattern.source in worked_out
    )
