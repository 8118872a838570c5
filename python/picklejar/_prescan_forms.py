"""The forms CPython's pickler writes, per allowlisted callable: a REDUCE of a default
allowlist global is accepted only in these (``bytearray(b'...')``, never
``bytearray(2500000000)``; ``_codecs.encode(text, 'latin1')`` and no other codec), and
``list``, ``int``, ``str``, ``tuple``... never, their only use in a pickle being as values.
Each rule returns what the call makes, in the pre-scan's model, having counted it.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from ._prescan import ENTRY_BYTES, SCALAR_BYTES, Scanner
from ._prescan_numpy import NUMPY_RULES
from ._prescan_globals import (
    GETATTR_ONLY, Key, make_object, newobj, refuse_call, resolve, text_of,
)
from ._prescan_values import (
    BIGINT, BYTEARRAY, BYTES, DATETIME, DECIMAL, DICT, FROZENSET, GLOBAL, LAZY, LIST, OBJECT,
    ORDERED_DICT, PATH, PLAIN_OBJECT, REGISTERED, SET, SLICE, SLICES_HASHABLE, TUPLE, UUID, ZONE,
    GlobalInfo, Node, frozenset_hash, is_bytes, is_kind, is_str, items_of, size_of,
    tuple_facts,
)


def _set(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 1 or not is_kind(items[0], LIST):
        refuse_call(s, g, items, f"{g.name}([...])")
    members = items_of(items[0])
    frozen = g.name == "frozenset"
    node = s.new_node(Node(FROZENSET if frozen else SET, max(depth, 2) - 1))
    s.check_items(len(members))
    s.insert_keys(node, members, "set member")
    node.n = len(members)
    s.spend(ENTRY_BYTES * node.n)
    if frozen:
        node.cost, node.h = 1, frozenset_hash(members)
    return node


def _is_latin1_name(s: Scanner, x: Any) -> bool:
    return is_str(x) and size_of(x) <= 8 and text_of(s, x) in ("latin1", "latin-1")


def _bytearray(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if not items:
        size = 0
    elif len(items) == 1 and (is_bytes(items[0]) or is_kind(items[0], BYTEARRAY)):
        size = size_of(items[0])
    elif len(items) == 2 and is_str(items[0]) and _is_latin1_name(s, items[1]):
        size = size_of(items[0])  # Python 2: bytearray(u'...', 'latin-1')
    else:
        refuse_call(s, g, items, "bytearray(), bytearray(bytes) or bytearray(str, 'latin-1')")
    node = s.new_node(Node(BYTEARRAY, 1))
    node.n = size
    s.spend(size)
    return node


def _bytes(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> bytes:
    if items:
        refuse_call(s, g, items, "bytes() (empty bytes at protocols 0-2)")
    s.count_value(0)
    return b""


def _codecs_encode(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Any:
    if len(items) != 2 or not is_str(items[0]) or not _is_latin1_name(s, items[1]):
        refuse_call(s, g, items, "encode(str, 'latin1') (bytes at protocols 0-2)")
    text = items[0]
    s.count_value(size_of(text))
    if type(text) is str:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError as e:
            s.fail(f"_codecs.encode: {e}")
    node = Node(BYTES, 1, cost=1)
    node.n = len(text_of(s, text))  # one byte per character (numpy checks the exact size)
    return node


def _complex(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> complex:
    if len(items) != 2 or not all(type(i) in (int, float) for i in items):
        refuse_call(s, g, items, "complex(float, float)")
    try:
        value = complex(items[0], items[1])
    except OverflowError as e:
        s.fail(f"complex: {e}")
    s.spend(SCALAR_BYTES)
    return value


def _range(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> range:
    if len(items) != 3 or not all(type(i) is int for i in items):
        refuse_call(s, g, items, "range(int, int, int)")
    try:
        value = range(items[0], items[1], items[2])
    except ValueError as e:
        s.fail(f"range: {e}")
    s.count_value(0)
    return value


def _slice(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 3:
        refuse_call(s, g, items, "slice(start, stop, step)")
    depth, cost = tuple_facts(items)
    if not SLICES_HASHABLE:
        cost = None
    return s.new_node(Node(SLICE, depth, cost, LAZY, items))


def _getattr(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 2 or not is_kind(items[0], GLOBAL) or not is_str(items[1]):
        s.forbid("builtins", "getattr", GETATTR_ONLY)
    outer, attr = items[0].info, text_of(s, items[1])
    if outer.namespace:
        return resolve(s, outer.module, f"{outer.name}.{attr}")
    obj = s.allowlist.objects.get(outer.key)
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if obj is None or not isinstance(module, str) or not isinstance(qualname, str) or \
            s.allowlist.objects.get((module, qualname)) is not obj:
        s.forbid("builtins", "getattr", GETATTR_ONLY)
    return resolve(s, module, f"{qualname}.{attr}")


_BASES: Dict[Key, Callable[[Any], bool]] = {
    ("builtins", "int"): lambda x: type(x) is int or is_kind(x, BIGINT),
    ("builtins", "float"): lambda x: type(x) is float,
    ("builtins", "complex"): lambda x: type(x) is complex,
    ("builtins", "str"): is_str,
    ("builtins", "bytes"): is_bytes,
    ("builtins", "bytearray"): lambda x: is_kind(x, BYTEARRAY),
    ("builtins", "list"): lambda x: is_kind(x, LIST),
    ("builtins", "tuple"): lambda x: is_kind(x, TUPLE),
    ("builtins", "dict"): lambda x: is_kind(x, DICT),
    ("builtins", "set"): lambda x: is_kind(x, SET),
    ("builtins", "frozenset"): lambda x: is_kind(x, FROZENSET),
}


def _reconstructor(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    """copyreg._reconstructor(cls, base, state): protocols 0-1's instances. base is object
    (state None), or for a registered subclass of a built-in, that built-in with a state of
    its type (base.__init__(obj, state) runs: an int state for bytearray would allocate)."""
    if len(items) == 3 and is_kind(items[0], GLOBAL) and is_kind(items[1], GLOBAL):
        cls, base, state = items[0].info, items[1].info, items[2]
        if not cls.namespace and base.key == ("builtins", "object") and state is None:
            if cls.registered:
                return make_object(s, REGISTERED, cls.key, 2)
            if cls.key == ("uuid", "UUID"):
                return make_object(s, UUID, cls.key, 2)
            if cls.key == ("builtins", "object"):
                return make_object(s, PLAIN_OBJECT, cls.key, 2)
        matches = _BASES.get(base.key)
        if cls.registered and not cls.namespace and matches is not None and matches(state):
            if type(state) is Node:
                s.charge_hash(state.work)  # a dict or set state is hashed in again
                s.spend(ENTRY_BYTES * state.n)
            return make_object(s, REGISTERED, cls.key, depth)
    refuse_call(s, g, items, "_reconstructor(cls, object, None), or for a registered subclass "
                 "of a built-in type, _reconstructor(cls, base, state of that type)")


def _newobj_call(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if not items:
        refuse_call(s, g, items, "__newobj__(cls, *args)")
    return newobj(s, items[0], items[1:], depth, "copyreg.__newobj__")


def _state(s: Scanner, x: Any, size: int) -> bool:
    return (is_bytes(x) and size_of(x) == size) or (is_str(x) and size_of(x) <= 4 * size
                                                    and len(text_of(s, x)) == size)


def _is_tzinfo(x: Any) -> bool:
    return is_kind(x, OBJECT) and (x.info.flavor in (REGISTERED, ZONE)
                                   or x.info.cls == ("datetime", "timezone"))


def _datetime(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    name = g.name
    ok = False
    if name in ("date", "time", "datetime"):
        size = {"date": 4, "time": 6, "datetime": 10}[name]
        ok = (len(items) == 1 or (len(items) == 2 and name != "date" and _is_tzinfo(items[1]))) \
            and _state(s, items[0], size)
    elif name == "timedelta":
        ok = len(items) == 3 and all(type(i) is int for i in items)
    elif name == "timezone":
        ok = 1 <= len(items) <= 2 and is_kind(items[0], OBJECT) and \
            items[0].info.cls == ("datetime", "timedelta") and (len(items) == 1 or is_str(items[1]))
    if not ok:
        refuse_call(s, g, items, {
            "date": "date(bytes of 4)", "time": "time(bytes of 6[, tzinfo])",
            "datetime": "datetime(bytes of 10[, tzinfo])", "timedelta": "timedelta(int, int, int)",
            "timezone": "timezone(timedelta[, str])"}[name])
    return make_object(s, DATETIME, g.key, depth)


def _decimal(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 1 or not is_str(items[0]):
        refuse_call(s, g, items, "Decimal(str)")
    s.spend(size_of(items[0]))
    node = make_object(s, DECIMAL, g.key, depth, items[0])
    node.h = LAZY
    return node


def _ordered_dict(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    pairs: List[Any] = []
    if len(items) == 1 and is_kind(items[0], LIST):  # Python 2: OrderedDict([[k, v], ...])
        for pair in items_of(items[0]):
            if not (is_kind(pair, LIST) or is_kind(pair, TUPLE)) or len(items_of(pair)) != 2:
                refuse_call(s, g, items, "OrderedDict() or OrderedDict([[key, value], ...])")
            pairs.append(pair.items[0])
    elif items:
        refuse_call(s, g, items, "OrderedDict() or OrderedDict([[key, value], ...])")
    node = make_object(s, ORDERED_DICT, g.key, max(depth, 2) - 1)
    s.check_items(len(pairs))
    s.insert_keys(node, pairs, "dict key")
    node.n = len(pairs)
    s.spend(ENTRY_BYTES * node.n)
    return node


def _path(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if not all(is_str(i) for i in items):
        refuse_call(s, g, items, f"{g.name}(str, ...)")
    s.spend(sum(size_of(i) for i in items))
    return make_object(s, PATH, g.key, depth)


def _zone(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    """ZoneInfo._unpickle(key, from_cache): the zone of that key from the tz database."""
    if len(items) != 2 or not is_str(items[0]) or type(items[1]) not in (int, bool) or \
            items[1] not in (0, 1):
        refuse_call(s, g, items, "ZoneInfo._unpickle(str, 0 or 1)")
    return make_object(s, ZONE, ("zoneinfo", "ZoneInfo"), depth)


REDUCE_RULES: Dict[Key, Callable[[Scanner, GlobalInfo, List[Any], int], Any]] = {
    **NUMPY_RULES,
    ("builtins", "set"): _set,
    ("builtins", "frozenset"): _set,
    ("builtins", "bytearray"): _bytearray,
    ("builtins", "bytes"): _bytes,
    ("builtins", "complex"): _complex,
    ("builtins", "range"): _range,
    ("builtins", "slice"): _slice,
    ("builtins", "getattr"): _getattr,
    ("_codecs", "encode"): _codecs_encode,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("copyreg", "__newobj__"): _newobj_call,
    ("datetime", "date"): _datetime,
    ("datetime", "time"): _datetime,
    ("datetime", "datetime"): _datetime,
    ("datetime", "timedelta"): _datetime,
    ("datetime", "timezone"): _datetime,
    ("decimal", "Decimal"): _decimal,
    ("collections", "OrderedDict"): _ordered_dict,
    **{(module, name): _path
       for module in ("pathlib", "pathlib._local")
       for name in ("PurePosixPath", "PureWindowsPath", "PosixPath", "WindowsPath")},
    ("zoneinfo", "ZoneInfo._unpickle"): _zone,
}
