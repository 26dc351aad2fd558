from array import array
from typing import Any

def count_records(
    text: bytes | memoryview, /
) -> (
    tuple[
        bytes,
        array[int],
        list[bytes],
        list[int],
        list[tuple[int, int] | None],
        array[int],
        list[bool],
        array[int],
    ]
    | None
): ...
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
