from array import array
from typing import Any

class Scan: ...

class Records:
    def __init__(self, seed: int, seen_ids: int = 65536) -> None: ...
    def __len__(self) -> int: ...
    def scan(self, text: bytes | memoryview, /) -> Scan: ...
    def count(
        self, text: bytes | memoryview | Scan, /
    ) -> (
        tuple[
            bytes,
            array[int],
            list[bytes],
            array[int],
            list[int],
            list[int],
            list[bool],
            array[int],
            bool,
        ]
        | None
    ): ...
    def commit(self) -> None: ...
    def saw(self, gid: int, /) -> bool: ...
    def see(self, gid: int, /) -> None: ...
    def forget_ids(self) -> None: ...
    def take(self) -> list[tuple[int, int, tuple[int, int] | None]]: ...
    def clear(self) -> None: ...

def split_members(
    index: array[int],
    record_slots: array[int],
    parented: array[int],
    ids: array[int],
    parents: array[int],
    /,
) -> tuple[
    array[int], array[int], array[int], array[int], array[int], array[int], array[int], array[int]
]: ...
def parent_facts(
    ids: array[int],
    groups: array[int],
    parents: array[int],
    parent_groups: array[int],
    creators: list[str | None],
    stacks: list[tuple[Any, ...]],
    /,
) -> tuple[list[int], list[int], list[int]]: ...

class TextCache:
    def __init__(self, seed: int, limit: int) -> None: ...
    def __len__(self) -> int: ...

def plain_stack(
    body: bytes, names: TextCache, frame_type: type, /
) -> tuple[tuple[Any, ...], Any, int] | None: ...
def read_stack(
    record: bytes,
    start: int,
    names: TextCache,
    types: tuple[type, type, type],
    idents: dict[Any, int],
    is_system: Any,
    /,
) -> Any: ...
def first_ids(
    ids: array[int], groups: array[int], ngroups: int, per_group: int, /
) -> list[tuple[int, ...]]: ...
def untrack(objects: tuple[Any, ...], /) -> None: ...
def signatures(
    states: list[str], stacks: list[tuple[Any, ...]], creators: list[Any], /
) -> list[str]: ...
