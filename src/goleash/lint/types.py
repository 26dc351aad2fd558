"""Light type facts of one package: what a name or a field is declared as, without a type checker.

Rules ask "is ``s.mu`` a sync.Mutex?", "is ``beat`` a *time.Ticker?", "is the ``events`` field a
channel, and is it ever made with a buffer?". The answers come from declarations in the same
package: struct fields, method receivers, parameters, ``var`` declarations and the constructor a
local is bound to (``sync.NewCond``, ``time.NewTicker``, ``make(chan T, n)``). Only what is
declared in the package is known; anything else is "unknown", and rules treat unknown as "not
this kind" (a missed finding rather than a false one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from goleash.lint.syntax import (
    FUNCTION_TYPES,
    Node,
    captures,
    declarations,
    text,
    unwrap_parens,
    word_leaves,
)

MUTEX = "mutex"
RWMUTEX = "rwmutex"
COND = "cond"
WAITGROUP = "waitgroup"
CHAN = "chan"
TICKER = "ticker"
CANCEL = "cancel"

_TYPE_KINDS = {
    "sync.Mutex": MUTEX,
    "sync.RWMutex": RWMUTEX,
    "sync.Cond": COND,
    "sync.WaitGroup": WAITGROUP,
    "time.Ticker": TICKER,
    "context.CancelFunc": CANCEL,
}
_CONSTRUCTORS = (
    (re.compile(r"^sync\.NewCond\("), COND),
    (re.compile(r"^time\.NewTicker\("), TICKER),
    (re.compile(r"^make\(\s*(<-\s*)?chan\b"), CHAN),
    (re.compile(r"^&?sync\.(Mutex)\{"), MUTEX),
    (re.compile(r"^&?sync\.(RWMutex)\{"), RWMUTEX),
    (re.compile(r"^&?sync\.(WaitGroup)\{"), WAITGROUP),
    (re.compile(r"^new\(sync\.Mutex\)"), MUTEX),
    (re.compile(r"^new\(sync\.RWMutex\)"), RWMUTEX),
    (re.compile(r"^new\(sync\.WaitGroup\)"), WAITGROUP),
)


def kind_of_type(type_text: str) -> str:
    """The kind a declared type names: ``*sync.Cond`` → cond, ``chan<- int`` → chan; '' else."""
    t = "".join(type_text.split()).lstrip("*")
    if t.startswith(("chan", "<-chan")):
        return CHAN
    return _TYPE_KINDS.get(t, "")


def kind_of_value(value_text: str) -> str:
    """The kind a constructor expression makes (``sync.NewCond(&mu)`` → cond); '' else."""
    v = value_text.strip()
    for pattern, kind in _CONSTRUCTORS:
        if pattern.match(v):
            return kind
    return ""


def receiver(method: Node) -> tuple[str, str]:
    """(receiver variable, receiver type name without ``*`` or type arguments) of a method
    declaration; ('', '') for anything else."""
    if method.type != "method_declaration":
        return "", ""
    params = method.child_by_field_name("receiver")
    if params is None:
        return "", ""
    for param in params.named_children:
        if param.type != "parameter_declaration":
            continue
        name = param.child_by_field_name("name")
        type_node = param.child_by_field_name("type")
        if type_node is None:
            return "", ""
        type_name = type_node.text.decode("utf-8", "replace").lstrip("*").split("[", 1)[0]
        return (name.text.decode("utf-8", "replace") if name is not None else ""), type_name
    return "", ""


@dataclass
class Method:
    """A method of a package type, with the source its node belongs to."""

    name: str
    node: Node
    source: bytes
    receiver: str  # the receiver variable ("" when unnamed)


@dataclass
class PackageTypes:
    """Declared types of the package's struct fields, and its methods grouped by type.

    Each part is read from the files on first request: most files never ask."""

    files: Sequence[tuple[bytes, Any]]
    _fields: dict[str, dict[str, str]] | None = None  # type -> field -> kind
    _field_kinds: dict[str, set[str]] = field(default_factory=dict)  # field -> kinds, any type
    _buffered: dict[str, bool] | None = None  # chan field -> made with a buffer somewhere
    _methods: dict[str, dict[str, list[Method]]] | None = None

    @property
    def fields(self) -> dict[str, dict[str, str]]:
        """Struct type -> field -> kind ('' for a field of no kind known here)."""
        if self._fields is None:
            self._fields = {}
            for source, tree in self.files:
                if b"struct" in source:
                    self._read_structs(source, tree.root_node)
        return self._fields

    @property
    def buffered(self) -> dict[str, bool]:
        """Channel field -> whether some ``make`` stored in it has a buffer."""
        if self._buffered is None:
            self._buffered = {}
            for source, tree in self.files:
                if b"make(" in source and b"chan" in source:
                    self._read_field_makes(source, tree.root_node)
        return self._buffered

    @property
    def methods(self) -> dict[str, dict[str, list[Method]]]:
        """Type name -> method name -> its declarations."""
        if self._methods is None:
            self._methods = {}
            for source, tree in self.files:
                for decl in declarations(tree.root_node):
                    if decl.type != "method_declaration":
                        continue
                    var, type_name = receiver(decl)
                    name = decl.child_by_field_name("name")
                    if not type_name or name is None:
                        continue
                    method = Method(text(source, name), decl, source, var)
                    by_name = self._methods.setdefault(type_name, {})
                    by_name.setdefault(method.name, []).append(method)
        return self._methods

    def _read_structs(self, source: bytes, root: Node) -> None:
        # Types are declared at the top level or in function bodies; the top level is read
        # child by child (a query would walk every node of the file).
        for decl in root.named_children:
            if decl.type != "type_declaration":
                continue
            for spec in decl.named_children:
                name = spec.child_by_field_name("name")
                struct = spec.child_by_field_name("type")
                if spec.type != "type_spec" or name is None or struct is None:
                    continue
                if struct.type == "struct_type":
                    self._read_fields(source, text(source, name), struct)

    def _read_fields(self, source: bytes, type_name: str, struct: Node) -> None:
        assert self._fields is not None
        kinds = self._fields.setdefault(type_name, {})
        for fields in struct.named_children:
            if fields.type != "field_declaration_list":
                continue
            for decl in fields.named_children:
                if decl.type != "field_declaration":
                    continue
                type_node = decl.child_by_field_name("type")
                if type_node is None:
                    continue
                kind = kind_of_type(text(source, type_node))
                for field_name in decl.children_by_field_name("name"):
                    spelled = text(source, field_name)
                    kinds[spelled] = kind
                    if kind:
                        self._field_kinds.setdefault(spelled, set()).add(kind)

    def _read_field_makes(self, source: bytes, root: Node) -> None:
        """``events: make(chan E, 16)`` and ``s.events = make(chan E)``: buffered or not.
        Found from the word ``make`` (no walk of the tree)."""
        for word in word_leaves(root, source, b"make", "identifier"):
            call = word.parent
            if call is None or call.type != "call_expression":
                continue
            args = call.child_by_field_name("arguments")
            if args is None or not args.named_children:
                continue
            if args.named_children[0].type != "channel_type":
                continue
            sized = len(args.named_children) >= 2
            spelled = _field_assigned(source, call)
            if spelled and self._buffered is not None:
                self._buffered[spelled] = self._buffered.get(spelled, False) or sized
            elif not spelled and self._buffered is not None:
                # `errs := make(chan error, 1)` then `call{errs: errs}` / `c.errs = errs`.
                for via in _fields_given_local(source, call):
                    self._buffered[via] = self._buffered.get(via, False) or sized

    def field_kind(self, type_name: str, field_name: str) -> str:
        """The kind of ``field_name`` in ``type_name``; when the type is unknown, the kind every
        package struct with such a field agrees on ('' when they disagree or none has it)."""
        fields = self.fields
        if type_name and type_name in fields:
            return fields[type_name].get(field_name, "")
        kinds = self._field_kinds.get(field_name, set())
        return next(iter(kinds)) if len(kinds) == 1 else ""

    def methods_of(self, type_name: str) -> dict[str, list[Method]]:
        """The package's methods of a type, by name."""
        return self.methods.get(type_name, {})


def _fields_given_local(source: bytes, make: Node) -> list[str]:
    """Fields that receive the local a ``make`` is bound to, in the same function."""
    values = make.parent
    decl = values.parent if values is not None else None
    if decl is None or decl.type != "short_var_declaration":
        return []
    left = decl.child_by_field_name("left")
    if left is None or len(left.named_children) != 1:
        return []
    local = text(source, left.named_children[0])
    func = decl.parent
    while func is not None and func.type not in FUNCTION_TYPES:
        func = func.parent
    if func is None:
        return []
    body = source[decl.end_byte : func.end_byte].decode("utf-8", "replace")
    name = re.escape(local)
    found = re.findall(rf"(\w+)\s*:\s*{name}\b(?!\s*\()", body)
    found += re.findall(rf"\.(\w+)\s*=\s*{name}\b(?!\s*\()", body)
    return found


def _field_assigned(source: bytes, value: Node) -> str:
    """The field a value is stored in: ``f: value`` in a composite literal, or
    ``x.f = value``; '' otherwise."""
    parent = value.parent
    if parent is not None and parent.type == "literal_element":
        keyed = parent.parent
        if keyed is not None and keyed.type == "keyed_element" and keyed.named_children:
            key = keyed.named_children[0]
            if key != parent and key.named_children and key.named_children[0].type == "identifier":
                return text(source, key.named_children[0])
        return ""
    if parent is not None and parent.type == "expression_list":
        statement = parent.parent
        if statement is not None and statement.type == "assignment_statement":
            left = statement.child_by_field_name("left")
            right = statement.child_by_field_name("right")
            if left is None or right != parent:
                return ""
            index = right.named_children.index(value) if value in right.named_children else -1
            targets = left.named_children
            if 0 <= index < len(targets) and targets[index].type == "selector_expression":
                field_node = targets[index].child_by_field_name("field")
                return text(source, field_node) if field_node is not None else ""
    return ""


def local_kind(source: bytes, name: str, at: Node) -> str:
    """The kind of a local name seen at ``at``: from its parameter type, ``var`` type, or the
    constructor it was bound to, looking outwards through enclosing function literals."""
    func = at.parent
    while func is not None:
        if func.type in FUNCTION_TYPES:
            kind = _declared_in(source, name, func)
            if kind:
                return kind
        func = func.parent
    return ""


def _declared_in(source: bytes, name: str, func: Node) -> str:
    wanted = name.encode()
    for part in ("parameters", "receiver"):
        params = func.child_by_field_name(part)
        if params is None:
            continue
        for decl in params.named_children:
            type_node = decl.child_by_field_name("type")
            if type_node is not None and any(
                n.text == wanted for n in decl.children_by_field_name("name")
            ):
                return kind_of_type(text(source, type_node))
    body = func.child_by_field_name("body")
    if body is None or wanted not in source[body.start_byte : body.end_byte]:
        return ""
    found = captures(_LOCALS, body)
    for spec in found.get("var", []):
        if not any(n.text == wanted for n in spec.children_by_field_name("name")):
            continue
        type_node = spec.child_by_field_name("type")
        if type_node is not None:
            return kind_of_type(text(source, type_node))
        value = spec.child_by_field_name("value")
        if value is not None and value.named_children:
            return kind_of_value(text(source, value.named_children[0]))
    for decl in found.get("short", []):
        left = decl.child_by_field_name("left")
        right = decl.child_by_field_name("right")
        if left is None or right is None:
            continue
        names = [n.text for n in left.named_children]
        if wanted in names and len(right.named_children) == len(names):
            value = unwrap_parens(right.named_children[names.index(wanted)])
            return kind_of_value(text(source, value))
        if wanted in names and len(right.named_children) == 1:
            value = unwrap_parens(right.named_children[0])
            if names.index(wanted) == 1 and re.match(r"^context\.With", text(source, value)):
                return CANCEL
    return ""


_LOCALS = "(var_spec) @var (short_var_declaration) @short"
