from array import array
from typing import Any

class Records:
    def __init__(self, seed: int) -> None: ...
    def __len__(self) -> int: ...
    def count(
        self, text: bytes | memoryview, /
    ) -> (
        tuple[
            bytes, array[int], list[bytes], array[int], list[int], list[int], list[bool], array[int]
        ]
        | None
    ): ...
    def commit(self) -> None: ...
    def take(self) -> list[tuple[int, int, tuple[int, int] | None]]: ...
    def clear(self) -> None: ...

def parent_facts(
    ids: array[int],
    groups: array[int],
    parents: array[int],
    parent_groups: array[int],
    creators: list[str | None],
    stacks: list[tuple[Any, ...]],
    /,
) -> tuple[list[int], list[int], list[int]]: ...
def plain_stack(
    body: bytes, known: dict[bytes, Any], frame_type: type, /
) -> tuple[tuple[Any, ...], Any, int] | None: ...
def first_ids(
    ids: array[int], groups: array[int], ngroups: int, per_group: int, /
) -> list[list[int]]: ...
def signature_text(state: str, frames: tuple[Any, ...], created_by: Any, /) -> bytes: ...
