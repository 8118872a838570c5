"""The pre-scan's globals, calls and BUILD.

A global resolves through the session's Allowlist exactly as SafeUnpickler.find_class will
resolve it (so a refused one is refused before anything runs). An allowlisted callable is
accepted only with the arguments CPython's pickler writes for it: ``bytearray(b'...')`` but
not ``bytearray(2500000000)``, ``_codecs.encode(text, 'latin1')`` but no other codec, and
``list``, ``int``, ``str``, ``tuple``... never as calls (their only use in a pickle is as a
value). Registered classes and functions (``classes=``) are called with whatever the pickle
holds: the caller vouches for them, and they are outside the pre-scan's guarantees.

An object gets at most one BUILD, and no items after it: CPython's pickler writes items
first and the state once, and a second BUILD (or APPENDS/ADDITEMS after the first) would
call a ``__setstate__``/``extend``/``add`` that the first state put on the instance.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NoReturn, Optional, Tuple

from ._prescan import ENTRY_BYTES, SCALAR_BYTES, Scanner
from ._prescan_values import (
    BIGINT, BYTEARRAY, BYTES, DATETIME, DECIMAL, DICT, FROZENSET, GLOBAL, LIST, OBJECT, ORDERED_DICT,
    PLAIN_OBJECT, REGISTERED, SET, SLICE, SLICES_HASHABLE, TUPLE, UUID, GlobalInfo, Node,
    LAZY, ObjectInfo, TOO_MANY, depth_of, frozenset_hash, is_bytes, is_kind, is_str, items_of,
    kind_name, size_of, str_value, tuple_facts,
)

Key = Tuple[str, str]
_GETATTR = {("builtins", "getattr"), ("__builtin__", "getattr")}
_GETATTR_ONLY = ("builtins.getattr is allowed only to reach a registered nested class from its "
                 "outer class")


def _text(s: Scanner, x: Any) -> str:
    try:
        return str_value(x)
    except (UnicodeDecodeError, ValueError) as e:
        s.fail(f"cannot decode the str: {e}")


# ---- globals -----------------------------------------------------------------------------------

def _resolve(s: Scanner, module: str, name: str, count: int = 1) -> Node:
    """The GLOBAL node for module.name as SafeUnpickler.find_class resolves it."""
    if not module or not name:
        s.fail(f"empty global name {module!r} {name!r}")
    if (module, name) in _GETATTR:
        info = GlobalInfo("builtins", "getattr", False, False)
        h: Optional[int] = hash(getattr)
    else:
        try:
            module, name, namespace = s.allowlist.resolve(module, name)
        except Exception as e:  # ForbiddenGlobal, naming the global as the pickle does
            s.forbid(getattr(e, "module", module), getattr(e, "name", name))
        info = GlobalInfo(module, name, namespace, (module, name) in s.allowlist.registered)
        h = None if namespace else _hash_or_none(s.allowlist.objects[(module, name)])
    return s.new_node(Node(GLOBAL, 0, 1, h, info=info), count)


def _hash_or_none(obj: Any) -> Optional[int]:
    try:
        return hash(obj)
    except TypeError:
        return None


def _name_line(s: Scanner, what: str, encoding: str) -> str:
    raw = s.line(what)
    if not raw:
        s.fail(f"{what} is empty")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        s.fail(f"cannot decode {what}: {e}")


def op_global(s: Scanner) -> None:
    module = _name_line(s, "GLOBAL module name", "utf-8")
    name = _name_line(s, "GLOBAL name", "utf-8")
    s.push(_resolve(s, module, name, 3))


def op_stack_global(s: Scanner) -> None:
    name = s.pop()
    module = s.pop()
    if not is_str(module) or not is_str(name):
        s.fail("STACK_GLOBAL requires str module and name, got "
               f"'{kind_name(module)}' and '{kind_name(name)}'")
    s.push(_resolve(s, _text(s, module), _text(s, name)))


# ---- objects -----------------------------------------------------------------------------------

def _object(s: Scanner, flavor: str, cls: Optional[Key], depth: int, text: Any = None) -> Node:
    cost = None if flavor == ORDERED_DICT else 1  # an OrderedDict is unhashable
    return s.new_node(Node(OBJECT, depth, cost, info=ObjectInfo(flavor, cls, text)))


def _refuse_call(s: Scanner, g: GlobalInfo, items: List[Any], forms: str) -> NoReturn:
    got = ", ".join(kind_name(i) for i in items)
    s.forbid(g.module, g.name, f"global '{g.module}.{g.name}' is called only as {forms} in "
             f"the pickles CPython writes, not with ({got})")


def _global_of(s: Scanner, x: Any, what: str) -> GlobalInfo:
    if not is_kind(x, GLOBAL):
        s.fail(f"{what} must be a global, got '{kind_name(x)}'")
    g = x.info
    if g.namespace:  # a stand-in for an outer class only serves getattr
        s.forbid(g.module, g.name)
    return g


def _instantiate(s: Scanner, g: GlobalInfo, items: List[Any], what: str) -> None:
    if not g.registered:
        s.forbid(g.module, g.name, f"{what} of global '{g.module}.{g.name}': INST and OBJ are "
                 "allowed only for registered classes")
    depth = max((depth_of(i) for i in items), default=0) + 1
    s.push(_object(s, REGISTERED, g.key, depth))


def op_inst(s: Scanner) -> None:
    base = s.pop_mark()
    module = _name_line(s, "INST module name", "ascii")
    name = _name_line(s, "INST class name", "ascii")
    items = s.slice_from(base)
    _instantiate(s, _resolve(s, module, name, 3).info, items, "INST")


def op_obj(s: Scanner) -> None:
    items = s.slice_from(s.pop_mark())
    if not items:
        s.fail("OBJ needs a class after the MARK")
    _instantiate(s, _global_of(s, items[0], "OBJ's class"), items[1:], "OBJ")


def _newobj(s: Scanner, cls: Any, items: List[Any], depth: int, what: str) -> Node:
    g = _global_of(s, cls, f"{what}'s class")
    if g.registered:
        return _object(s, REGISTERED, g.key, depth)
    if not items and g.key == ("builtins", "object"):
        return _object(s, PLAIN_OBJECT, g.key, depth)
    if not items and g.key == ("uuid", "UUID"):
        return _object(s, UUID, g.key, depth)
    s.forbid(g.module, g.name, f"{what} of global '{g.module}.{g.name}' with "
             f"{len(items)} arguments: pickle writes NEWOBJ only for object() and uuid.UUID "
             "without arguments, and for registered classes")


def op_newobj(s: Scanner) -> None:
    args = s.pop()
    cls = s.pop()
    if not is_kind(args, TUPLE):
        s.fail(f"NEWOBJ expected an arg tuple, got '{kind_name(args)}'")
    s.push(_newobj(s, cls, args.items, max(depth_of(cls), args.depth) + 1, "NEWOBJ"))


def op_newobj_ex(s: Scanner) -> None:
    kwargs = s.pop()
    args = s.pop()
    cls = s.pop()
    if not is_kind(kwargs, DICT) or not is_kind(args, TUPLE):
        s.fail(f"NEWOBJ_EX expects an arg tuple and a kwargs dict, got '{kind_name(args)}' and "
               f"'{kind_name(kwargs)}'")
    g = _global_of(s, cls, "NEWOBJ_EX's class")
    if not g.registered:
        s.forbid(g.module, g.name, f"NEWOBJ_EX of global '{g.module}.{g.name}': allowed only "
                 "for registered classes")
    s.push(_object(s, REGISTERED, g.key, max(args.depth, kwargs.depth) + 1))


def op_reduce(s: Scanner) -> None:
    args = s.pop()
    func = s.pop()
    if not is_kind(args, TUPLE):
        s.fail(f"REDUCE arguments must be a tuple, got '{kind_name(args)}'")
    g = _global_of(s, func, "REDUCE's callable")
    depth = args.depth + 1
    if g.registered:
        s.push(_object(s, REGISTERED, g.key, depth))
        return
    rule = _REDUCE_RULES.get(g.key)
    if rule is None:
        s.forbid(g.module, g.name, f"global '{g.module}.{g.name}' is allowed as a value, but "
                 "the pickles CPython writes never call it")
    s.push(rule(s, g, args.items, depth))


# ---- the forms CPython writes, per allowlisted callable ----------------------------------------

def _set(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 1 or not is_kind(items[0], LIST):
        _refuse_call(s, g, items, f"{g.name}([...])")
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
    return is_str(x) and size_of(x) <= 8 and _text(s, x) in ("latin1", "latin-1")


def _bytearray(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if not items:
        size = 0
    elif len(items) == 1 and (is_bytes(items[0]) or is_kind(items[0], BYTEARRAY)):
        size = size_of(items[0])
    elif len(items) == 2 and is_str(items[0]) and _is_latin1_name(s, items[1]):
        size = size_of(items[0])  # Python 2: bytearray(u'...', 'latin-1')
    else:
        _refuse_call(s, g, items, "bytearray(), bytearray(bytes) or bytearray(str, 'latin-1')")
    node = s.new_node(Node(BYTEARRAY, 1))
    node.n = size
    s.spend(size)
    return node


def _bytes(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> bytes:
    if items:
        _refuse_call(s, g, items, "bytes() (empty bytes at protocols 0-2)")
    s.count_value(0)
    return b""


def _codecs_encode(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Any:
    if len(items) != 2 or not is_str(items[0]) or not _is_latin1_name(s, items[1]):
        _refuse_call(s, g, items, "encode(str, 'latin1') (bytes at protocols 0-2)")
    text = items[0]
    s.count_value(size_of(text))
    if type(text) is str:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError as e:
            s.fail(f"_codecs.encode: {e}")
    node = Node(BYTES, 1, cost=1)
    node.n = size_of(text)
    return node


def _complex(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> complex:
    if len(items) != 2 or not all(type(i) in (int, float) for i in items):
        _refuse_call(s, g, items, "complex(float, float)")
    try:
        value = complex(items[0], items[1])
    except OverflowError as e:
        s.fail(f"complex: {e}")
    s.spend(SCALAR_BYTES)
    return value


def _range(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> range:
    if len(items) != 3 or not all(type(i) is int for i in items):
        _refuse_call(s, g, items, "range(int, int, int)")
    try:
        value = range(items[0], items[1], items[2])
    except ValueError as e:
        s.fail(f"range: {e}")
    s.count_value(0)
    return value


def _slice(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 3:
        _refuse_call(s, g, items, "slice(start, stop, step)")
    depth, cost = tuple_facts(items)
    if not SLICES_HASHABLE:
        cost = None
    return s.new_node(Node(SLICE, depth, cost, LAZY, items))


def _getattr(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 2 or not is_kind(items[0], GLOBAL) or not is_str(items[1]):
        s.forbid("builtins", "getattr", _GETATTR_ONLY)
    outer, attr = items[0].info, _text(s, items[1])
    if outer.namespace:
        return _resolve(s, outer.module, f"{outer.name}.{attr}")
    obj = s.allowlist.objects.get(outer.key)
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if obj is None or not isinstance(module, str) or not isinstance(qualname, str) or \
            s.allowlist.objects.get((module, qualname)) is not obj:
        s.forbid("builtins", "getattr", _GETATTR_ONLY)
    return _resolve(s, module, f"{qualname}.{attr}")


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
                return _object(s, REGISTERED, cls.key, 2)
            if cls.key == ("uuid", "UUID"):
                return _object(s, UUID, cls.key, 2)
            if cls.key == ("builtins", "object"):
                return _object(s, PLAIN_OBJECT, cls.key, 2)
        matches = _BASES.get(base.key)
        if cls.registered and not cls.namespace and matches is not None and matches(state):
            if type(state) is Node:
                s.charge_hash(state.work)  # a dict or set state is hashed in again
                s.spend(ENTRY_BYTES * state.n)
            return _object(s, REGISTERED, cls.key, depth)
    _refuse_call(s, g, items, "_reconstructor(cls, object, None), or for a registered subclass "
                 "of a built-in type, _reconstructor(cls, base, state of that type)")


def _newobj_call(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if not items:
        _refuse_call(s, g, items, "__newobj__(cls, *args)")
    return _newobj(s, items[0], items[1:], depth, "copyreg.__newobj__")


def _state(s: Scanner, x: Any, size: int) -> bool:
    return (is_bytes(x) and size_of(x) == size) or (is_str(x) and size_of(x) <= 4 * size
                                                    and len(_text(s, x)) == size)


def _is_tzinfo(x: Any) -> bool:
    return is_kind(x, OBJECT) and (x.info.flavor == REGISTERED
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
        _refuse_call(s, g, items, {
            "date": "date(bytes of 4)", "time": "time(bytes of 6[, tzinfo])",
            "datetime": "datetime(bytes of 10[, tzinfo])", "timedelta": "timedelta(int, int, int)",
            "timezone": "timezone(timedelta[, str])"}[name])
    return _object(s, DATETIME, g.key, depth)


def _decimal(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 1 or not is_str(items[0]):
        _refuse_call(s, g, items, "Decimal(str)")
    s.spend(size_of(items[0]))
    node = _object(s, DECIMAL, g.key, depth, items[0])
    node.h = LAZY
    return node


def _ordered_dict(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    pairs: List[Any] = []
    if len(items) == 1 and is_kind(items[0], LIST):  # Python 2: OrderedDict([[k, v], ...])
        for pair in items_of(items[0]):
            if not (is_kind(pair, LIST) or is_kind(pair, TUPLE)) or len(items_of(pair)) != 2:
                _refuse_call(s, g, items, "OrderedDict() or OrderedDict([[key, value], ...])")
            pairs.append(pair.items[0])
    elif items:
        _refuse_call(s, g, items, "OrderedDict() or OrderedDict([[key, value], ...])")
    node = _object(s, ORDERED_DICT, g.key, max(depth, 2) - 1)
    s.check_items(len(pairs))
    s.insert_keys(node, pairs, "dict key")
    node.n = len(pairs)
    s.spend(ENTRY_BYTES * node.n)
    return node


_REDUCE_RULES: Dict[Key, Callable[[Scanner, GlobalInfo, List[Any], int], Any]] = {
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
}


# ---- BUILD -------------------------------------------------------------------------------------

def op_build(s: Scanner) -> None:
    state = s.pop()
    target = s.top()
    if not is_kind(target, OBJECT):
        s.fail(f"BUILD target must be an object, got '{kind_name(target)}' (setting state on "
               "it is refused)")
    if target.info.built:
        s.fail("a second BUILD on one object: pickle writes one, and CPython would call the "
               "__setstate__ the first one may have set")
    flavor = target.info.flavor
    if flavor == ORDERED_DICT:
        if not (is_kind(state, DICT) or _is_slot_state(state)):
            s.fail(f"an OrderedDict's state must be a dict of attributes, got "
                   f"'{kind_name(state)}'")
        s.charge_hash(state.work if is_kind(state, DICT) else 0)
    elif flavor == UUID:
        target.h = _uuid_state(s, state)
    elif flavor != REGISTERED:
        s.fail(f"BUILD on a '{kind_name(target)}' object: pickle writes none")
    target.info.built = True
    s.deepen(target, depth_of(state) + 1)


def _is_slot_state(x: Any) -> bool:
    return is_kind(x, TUPLE) and len(x.items) == 2 and \
        (x.items[0] is None or is_kind(x.items[0], DICT)) and is_kind(x.items[1], DICT)


def _uuid_state(s: Scanner, state: Any) -> int:
    """uuid.UUID.__setstate__ takes {'int': int[, 'is_safe': SafeUUID value]} unchecked."""
    fields: Dict[Any, Any] = {}
    if is_kind(state, DICT) and state.items is not TOO_MANY:
        pairs = items_of(state)
        fields = dict(zip(pairs[0::2], pairs[1::2]))
    value, safe = fields.get("int"), fields.get("is_safe")
    if set(fields) - {"is_safe"} != {"int"} or type(value) is not int or \
            not 0 <= value < 1 << 128 or not (safe is None or safe in (0, -1)):
        s.fail("a uuid.UUID's state must be {'int': 0 <= int < 2**128} with an optional "
               "'is_safe' (0, -1 or None)")
    return hash(value)
