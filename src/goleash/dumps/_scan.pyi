from array import array
from typing import Any

def split_records(text: bytes | memoryview, /) -> tuple[list[bytes | Any], list[bytes]]: ...
def parent_pairs(
    ids: array[int],
    groups: array[int],
    parents: array[int],
    parent_groups: array[int],
    width: int,
    /,
) -> dict[int, int]: ...
def plain_stack(
    body: bytes, known: dict[bytes, Any], frame_type: type, /
) -> tuple[tuple[Any, ...], Any, int] | None: ...
