"""goleash.records.NamedTuple builds at run time the class typing.NamedTuple would build."""

from __future__ import annotations

import pickle
import typing

import pytest

from goleash.model import Frame, Group
from goleash.records import NamedTuple


class Waiter(NamedTuple):
    """A goroutine waiting somewhere."""

    state: str
    site: Frame
    minutes: int | None = None
    labels: tuple[str, ...] = ()

    @property
    def long(self) -> bool:
        return (self.minutes or 0) >= 10

    def where(self) -> str:
        return f"{self.state} at {self.site}"


class TypingWaiter(typing.NamedTuple):
    """A goroutine waiting somewhere."""

    state: str
    site: Frame
    minutes: int | None = None
    labels: tuple[str, ...] = ()


SITE = Frame("main.worker", "/src/w.go", 12)


def test_fields_defaults_and_methods_are_typings() -> None:
    w = Waiter("chan send", SITE, minutes=12)
    t = TypingWaiter("chan send", SITE, minutes=12)
    assert Waiter._fields == TypingWaiter._fields == ("state", "site", "minutes", "labels")
    assert Waiter._field_defaults == TypingWaiter._field_defaults
    assert tuple(w) == tuple(t)  # both are plain tuples underneath
    assert repr(w) == repr(t).replace("TypingWaiter", "Waiter")
    assert w.long and w.where() == "chan send at main.worker /src/w.go:12"
    assert w._replace(minutes=1).long is False
    assert w._asdict() == t._asdict()
    assert Waiter.__doc__ == "A goroutine waiting somewhere."
    assert Waiter.__module__ == __name__ and Waiter.__qualname__ == "Waiter"


def test_records_pickle_and_hash_like_tuples() -> None:
    # The lint engine's worker processes send records through pickle.
    w = Waiter("select", SITE)
    assert pickle.loads(pickle.dumps(w)) == w
    assert hash(w) == hash(("select", SITE, None, ()))
    g = Group(signature="s", state="select", frames=(SITE,), created_by=None, count=3)
    assert pickle.loads(pickle.dumps(g)) == g
    assert g.count == 3  # a field named like tuple.count is the field


def test_a_field_without_a_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError):

        class Bad(NamedTuple):
            a: int = 0
            b: int  # type: ignore[misc]


def test_namedtuple_machinery_cannot_be_overwritten() -> None:
    with pytest.raises(AttributeError):

        class Bad(NamedTuple):
            a: int

            def _replace(self, **kw: object) -> Bad:  # type: ignore[misc]
                return self
