"""The pre-scan's model of the values a pickle builds: enough of each value to bound what
CPython will do with it, never the value itself when that would cost as much as loading.

Immutable scalars stand for themselves on the pre-scan's stack (None, bool, int, float,
complex, range, and str and bytes up to SHORT_VALUE bytes). Everything else is a
:class:`Node` that records its kind, how deeply it nests, and, when hashable, what hashing it
costs CPython and the hash it will have (``h``; None when it cannot be known ahead, such as
an identity hash). The pre-scan runs in the process that loads the pickle afterwards, so
str hashes (randomized per process) come out the same in both.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

# Strs and bytes up to this many bytes are decoded/sliced; longer ones become nodes.
SHORT_VALUE = 256

# Work and cost values saturate here: a chain of shared tuples doubles its cost per level.
CAP = 1 << 62

# Ints with payloads up to this many bytes are made (and hashed); longer ones become nodes.
SHORT_INT = 1 << 16

STR, BYTES, BYTEARRAY, TUPLE, LIST, DICT, SET, FROZENSET, GLOBAL, OBJECT, SLICE, BIGINT = range(12)
_KIND_NAMES = ("str", "bytes", "bytearray", "tuple", "list", "dict", "set", "frozenset",
               "global", "object", "slice", "int")

# Object flavors: what an OBJECT node is an instance of.
REGISTERED = "registered"  # a class (or function) the caller registered with classes=
ORDERED_DICT = "ordered_dict"
UUID = "uuid"
DECIMAL = "decimal"
DATETIME = "datetime"  # date, time, datetime, timedelta, timezone
PLAIN_OBJECT = "object"  # object()
PATH = "path"  # a pathlib path
ZONE = "zone"  # a zoneinfo.ZoneInfo

try:
    hash(slice(1))
    SLICES_HASHABLE = True  # Python 3.12+
except TypeError:
    SLICES_HASHABLE = False


class Node:
    """A value the pre-scan tracks. ``cost`` is None when the value is unhashable."""

    __slots__ = ("kind", "depth", "cost", "h", "items", "n", "info", "table")

    def __init__(self, kind: int, depth: int = 0, cost: Optional[int] = None,
                 h: Optional[int] = None, items: Optional[List[Any]] = None,
                 info: Any = None) -> None:
        self.kind = kind
        self.depth = depth
        self.cost = cost  # units of hashing work to hash it once
        self.h = h  # its hash, when known
        # Tuple, list and slice items (a list's made on its first item); a dict's
        # [key, value, ...] while it is small (SMALL_DICT entries), then TOO_MANY.
        self.items = items
        self.n = 0  # entries of a dict, set or object; bytes of a str, bytes or bytearray
        self.info = info  # GlobalInfo, ObjectInfo or LongText
        self.table: Optional[KeyTable] = None  # a dict, set or object's keys, once it has some

    @property
    def work(self) -> int:
        """Hashing work spent on the keys of this dict or set (copying it spends it again)."""
        return self.table.work if self.table is not None else 0


SMALL_DICT = 8
TOO_MANY: List[Any] = []  # a dict's items, once it has more than SMALL_DICT: not kept


class KeyTable:
    """How many keys of each known hash a dict or set holds, and the work spent on them."""

    __slots__ = ("counts", "work")

    def __init__(self) -> None:
        self.counts: Dict[int, int] = {}  # hash -> keys of that hash
        self.work = 0


class GlobalInfo:
    """What a GLOBAL node names: the allowlisted (module, name) it resolved to."""

    __slots__ = ("module", "name", "namespace", "registered")

    def __init__(self, module: str, name: str, namespace: bool, registered: bool) -> None:
        self.module = module
        self.name = name
        self.namespace = namespace  # a class enclosing a registered one, only for getattr
        self.registered = registered  # registered by the caller, not a default

    @property
    def key(self) -> Tuple[str, str]:
        return (self.module, self.name)


class ObjectInfo:
    """What an OBJECT node is: its flavor and class, for a Decimal its text, and whether it
    had its BUILD."""

    __slots__ = ("flavor", "cls", "text", "built")

    def __init__(self, flavor: str, cls: Optional[Tuple[str, str]], text: Any = None) -> None:
        self.flavor = flavor
        self.cls = cls
        self.text = text
        self.built = False


class LongText:
    """A str or bytes payload too long to copy: where it is in the input."""

    __slots__ = ("data", "start", "end", "decode", "value")

    def __init__(self, data: bytes, start: int, end: int, decode: Any) -> None:
        self.data = data
        self.start = start
        self.end = end
        self.decode = decode  # bytes -> str, as the opcode's reader decodes; None for bytes
        self.value: Optional[str] = None


def kind_name(x: Any) -> str:
    if type(x) is Node:
        if x.kind == OBJECT:
            cls: Optional[Tuple[str, str]] = x.info.cls
            return cls[1] if cls else "object"
        return _KIND_NAMES[x.kind]
    return type(x).__name__


def is_str(x: Any) -> bool:
    return type(x) is str or (type(x) is Node and x.kind == STR)


def is_bytes(x: Any) -> bool:
    return type(x) is bytes or (type(x) is Node and x.kind == BYTES)


def is_kind(x: Any, kind: int) -> bool:
    return type(x) is Node and x.kind == kind


def str_value(x: Any) -> str:
    """The text of a str value (decoded on first use for a long one)."""
    if type(x) is str:
        return x
    text: LongText = x.info
    if text.value is None:
        text.value = text.decode(text.data[text.start:text.end])
    return text.value


def size_of(x: Any) -> int:
    """Bytes of a str (characters, or its UTF-8 payload when long), bytes or bytearray."""
    if type(x) is str or type(x) is bytes:
        return len(x)
    n: int = x.n
    return n


def items_of(x: Node) -> List[Any]:
    return x.items if x.items is not None else []


def depth_of(x: Any) -> int:
    return x.depth if type(x) is Node else 0


def scalar_cost(x: Any) -> int:
    """Hashing work of a scalar: ints are hashed digit by digit (and never cached)."""
    if type(x) is int:
        return 1 + (x.bit_length() >> 7)
    if type(x) is range:
        return 1 + (max(x.start.bit_length(), x.stop.bit_length()) >> 6)
    return 1


_NAN_BY_IDENTITY = hash(float("nan")) != 0  # since Python 3.10; before, every NaN hashed 0


def scalar_hash(x: Any) -> Optional[int]:
    """The hash CPython will give the scalar; None for NaNs (hashed by identity since 3.10)."""
    if type(x) is float and x != x:
        return None if _NAN_BY_IDENTITY else 0
    if type(x) is complex and (x.real != x.real or x.imag != x.imag):
        return None
    return hash(x)


# The hash of a tuple, slice or Decimal not worked out yet: only keys need it, and working it
# out costs about as much as CPython's hashing, so it waits until that cost is charged.
LAZY: Any = object()


def key_cost(x: Any) -> Optional[int]:
    """Units of work CPython spends hashing ``x`` once; None when it is unhashable."""
    return x.cost if type(x) is Node else scalar_cost(x)


def key_hash(x: Any) -> Optional[int]:
    """The hash CPython will give ``x``; None when it cannot be known ahead. Working it out
    costs about key_cost(x): call it once that is charged."""
    if type(x) is not Node:
        return scalar_hash(x)
    if x.h is LAZY:
        _work_out_hashes(x)
    return x.h


def _work_out_hashes(root: Node) -> None:
    """Sets the hash of ``root`` and of the tuples under it that lack one, without recursion
    (a key may be nested max_depth deep), once per node (a key may be a DAG)."""
    todo = [root]
    while todo:
        node = todo[-1]
        if node.h is not LAZY:
            todo.pop()
            continue
        if node.kind == OBJECT:  # a Decimal
            node.h = _decimal_hash(node)
            todo.pop()
            continue
        items = node.items
        assert items is not None  # a tuple or a slice: both are made with their items
        waiting = [i for i in items if type(i) is Node and i.h is LAZY]
        if waiting:
            todo.extend(waiting)
            continue
        hashes = []
        for item in items:
            h = item.h if type(item) is Node else scalar_hash(item)
            if h is None:
                break
            hashes.append(h)
        else:
            h = hash(tuple(hashes))
            node.h = h if node.kind == TUPLE else hash((node.kind, h))
            todo.pop()
            continue
        node.h = None
        todo.pop()


def _decimal_hash(x: Node) -> Optional[int]:
    import decimal  # only a Decimal used as a key needs it

    try:
        return hash(decimal.Decimal(str_value(x.info.text)))
    except (ArithmeticError, TypeError, ValueError):  # sNaN, bad text: the load fails anyway
        return None


class HashOnly:
    """Stands for a value of known hash in a frozenset whose hash is being predicted."""

    __slots__ = ("h",)

    def __init__(self, h: int) -> None:
        self.h = h

    def __hash__(self) -> int:
        return self.h


def tuple_facts(items: List[Any]) -> Tuple[int, Optional[int]]:
    """(depth, cost) of a tuple of ``items``: CPython hashes a tuple by hashing every item
    every time, so the cost is the size of the tuple as a tree. None: unhashable."""
    depth = 0
    cost: Optional[int] = 1
    for item in items:
        if type(item) is Node:
            if item.depth > depth:
                depth = item.depth
            item_cost = item.cost
        else:
            item_cost = scalar_cost(item)
        if item_cost is None:
            return depth + 1, None
        if cost is not None:
            cost = min(cost + item_cost, CAP)
    return depth + 1, cost


def frozenset_hash(keys: List[Any]) -> Optional[int]:
    """The hash a frozenset of ``keys`` (already charged as its members) will have, or None
    when one key's hash is unknown."""
    stand_ins = []
    for key in keys:
        if type(key) is Node:
            h = key_hash(key)
            if h is None:
                return None
            stand_ins.append(HashOnly(h))
        else:
            h = scalar_hash(key)
            if h is None:
                return None
            stand_ins.append(key)
    return hash(frozenset(stand_ins))
