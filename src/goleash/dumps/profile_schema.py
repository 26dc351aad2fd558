"""Message classes for pprof's ``profile.proto``, built from a descriptor written in Python.

Only the messages and fields a goroutine profile needs are declared; protobuf skips the rest
(mappings, comments, …) as unknown fields. Field numbers follow github.com/google/pprof
``proto/profile.proto``. The string table is declared as ``bytes`` rather than ``string`` so a
profile with invalid UTF-8 in a label or path still decodes (strings are decoded leniently).

Importing this module imports protobuf, so only the protobuf parser imports it.
"""

from __future__ import annotations

from typing import Any

# No stubs for protobuf unless types-protobuf is installed; accept both cases.
from google.protobuf import (  # type: ignore[import-untyped, unused-ignore]
    descriptor_pb2,
    descriptor_pool,
    message_factory,
)

_F = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "perftools.profiles"

# message name -> [(field name, number, type, repeated, message type name)]
_MESSAGES: dict[str, list[tuple[str, int, int, bool, str]]] = {
    "Profile": [
        ("sample_type", 1, _F.TYPE_MESSAGE, True, "ValueType"),
        ("sample", 2, _F.TYPE_MESSAGE, True, "Sample"),
        ("location", 4, _F.TYPE_MESSAGE, True, "Location"),
        ("function", 5, _F.TYPE_MESSAGE, True, "Function"),
        ("string_table", 6, _F.TYPE_BYTES, True, ""),
        ("time_nanos", 9, _F.TYPE_INT64, False, ""),
        ("duration_nanos", 10, _F.TYPE_INT64, False, ""),
        ("period_type", 11, _F.TYPE_MESSAGE, False, "ValueType"),
        ("period", 12, _F.TYPE_INT64, False, ""),
    ],
    "ValueType": [
        ("type", 1, _F.TYPE_INT64, False, ""),
        ("unit", 2, _F.TYPE_INT64, False, ""),
    ],
    "Sample": [
        ("location_id", 1, _F.TYPE_UINT64, True, ""),
        ("value", 2, _F.TYPE_INT64, True, ""),
        ("label", 3, _F.TYPE_MESSAGE, True, "Label"),
    ],
    "Label": [
        ("key", 1, _F.TYPE_INT64, False, ""),
        ("str", 2, _F.TYPE_INT64, False, ""),
        ("num", 3, _F.TYPE_INT64, False, ""),
        ("num_unit", 4, _F.TYPE_INT64, False, ""),
    ],
    "Location": [
        ("id", 1, _F.TYPE_UINT64, False, ""),
        ("mapping_id", 2, _F.TYPE_UINT64, False, ""),
        ("address", 3, _F.TYPE_UINT64, False, ""),
        ("line", 4, _F.TYPE_MESSAGE, True, "Line"),
        ("is_folded", 5, _F.TYPE_BOOL, False, ""),
    ],
    "Line": [
        ("function_id", 1, _F.TYPE_UINT64, False, ""),
        ("line", 2, _F.TYPE_INT64, False, ""),
        ("column", 3, _F.TYPE_INT64, False, ""),
    ],
    "Function": [
        ("id", 1, _F.TYPE_UINT64, False, ""),
        ("name", 2, _F.TYPE_INT64, False, ""),
        ("system_name", 3, _F.TYPE_INT64, False, ""),
        ("filename", 4, _F.TYPE_INT64, False, ""),
        ("start_line", 5, _F.TYPE_INT64, False, ""),
    ],
}


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(
        name="goleash/profile.proto", package=_PACKAGE, syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        msg = fd.message_type.add(name=name)
        for field_name, number, ftype, repeated, type_name in fields:
            f = msg.field.add(name=field_name, number=number, type=ftype)
            f.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
            if type_name:
                f.type_name = f".{_PACKAGE}.{type_name}"
    return fd


# A private pool, so goleash's declaration never clashes with another profile.proto that the
# user's program may have registered in the default pool.
_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file_descriptor())

# protobuf builds these classes at run time, so their static type is only ``Any``.
Profile: Any = message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"{_PACKAGE}.Profile"))
