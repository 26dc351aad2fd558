"""``NamedTuple`` for goleash's records, without importing ``typing`` when the program runs.

``typing`` costs several milliseconds of start-up that a small ``goleash dump`` notices, and the
records only need what ``collections.namedtuple`` makes. Type checkers see ``typing.NamedTuple``
itself; at run time a class statement ``class Frame(NamedTuple): ...`` builds the same class
``typing.NamedTuple`` would: its fields from the annotations in order, defaults from the values
given, and every other attribute (methods, properties, docstring) copied over.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    # What a record's class body may not define (namedtuple makes them) or need not copy.
    _PROHIBITED = frozenset(
        {
            "__new__",
            "__init__",
            "__slots__",
            "__getnewargs__",
            "_fields",
            "_field_defaults",
            "_make",
            "_replace",
            "_asdict",
            "_source",
        }
    )
    _SPECIAL = frozenset(("__module__", "__name__", "__annotations__"))

    class _RecordMeta(type):
        def __new__(mcs, name, bases, namespace):
            if namespace.get("_is_root"):
                return super().__new__(mcs, name, bases, namespace)
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace[f] for f in fields if f in namespace]
            if any(f not in namespace for f in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            record.__annotations__ = dict(namespace.get("__annotations__", {}))
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
                if key not in _SPECIAL and key not in record._fields:
                    setattr(record, key, value)
            return record

    NamedTuple = type.__new__(_RecordMeta, "NamedTuple", (), {"_is_root": True})
