"""The pre-scan's calls and BUILD: INST, OBJ, NEWOBJ, NEWOBJ_EX, REDUCE.

Registered classes and functions (``classes=``) are called with whatever the pickle holds:
the caller vouches for them, and they are outside the pre-scan's guarantees. The default
allowlist's callables are accepted only in the forms ``_prescan_forms`` lists.

An object gets at most one BUILD, and no items after it: CPython's pickler writes items
first and the state once, and a second BUILD (or APPENDS/ADDITEMS after the first) would
call a ``__setstate__``/``extend``/``add`` that the first state put on the instance.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ._prescan import Scanner
from ._prescan_forms import REDUCE_RULES
from ._prescan_numpy import NUMPY_BUILDS
from ._prescan_globals import global_of, make_object, name_line, newobj, resolve
from ._prescan_values import (
    DICT, OBJECT, ORDERED_DICT, REGISTERED, TOO_MANY, TUPLE, UUID, GlobalInfo, depth_of,
    is_kind, items_of, kind_name,
)


def _instantiate(s: Scanner, g: GlobalInfo, items: List[Any], what: str) -> None:
    if not g.registered:
        s.forbid(g.module, g.name, f"{what} of global '{g.module}.{g.name}': INST and OBJ are "
                 "allowed only for registered classes")
    depth = max((depth_of(i) for i in items), default=0) + 1
    s.push(make_object(s, REGISTERED, g.key, depth))


def op_inst(s: Scanner) -> None:
    base = s.pop_mark()
    module = name_line(s, "INST module name", "ascii")
    name = name_line(s, "INST class name", "ascii")
    items = s.slice_from(base)
    _instantiate(s, resolve(s, module, name, 3).info, items, "INST")


def op_obj(s: Scanner) -> None:
    items = s.slice_from(s.pop_mark())
    if not items:
        s.fail("OBJ needs a class after the MARK")
    _instantiate(s, global_of(s, items[0], "OBJ's class"), items[1:], "OBJ")


def op_newobj(s: Scanner) -> None:
    args = s.pop()
    cls = s.pop()
    if not is_kind(args, TUPLE):
        s.fail(f"NEWOBJ expected an arg tuple, got '{kind_name(args)}'")
    s.push(newobj(s, cls, args.items, max(depth_of(cls), args.depth) + 1, "NEWOBJ"))


def op_newobj_ex(s: Scanner) -> None:
    kwargs = s.pop()
    args = s.pop()
    cls = s.pop()
    if not is_kind(kwargs, DICT) or not is_kind(args, TUPLE):
        s.fail(f"NEWOBJ_EX expects an arg tuple and a kwargs dict, got '{kind_name(args)}' and "
               f"'{kind_name(kwargs)}'")
    g = global_of(s, cls, "NEWOBJ_EX's class")
    if not g.registered:
        s.forbid(g.module, g.name, f"NEWOBJ_EX of global '{g.module}.{g.name}': allowed only "
                 "for registered classes")
    s.push(make_object(s, REGISTERED, g.key, max(args.depth, kwargs.depth) + 1))


def op_reduce(s: Scanner) -> None:
    args = s.pop()
    func = s.pop()
    if not is_kind(args, TUPLE):
        s.fail(f"REDUCE arguments must be a tuple, got '{kind_name(args)}'")
    g = global_of(s, func, "REDUCE's callable")
    depth = args.depth + 1
    if g.registered:
        s.push(make_object(s, REGISTERED, g.key, depth))
        return
    rule = REDUCE_RULES.get(g.key)
    if rule is None:
        s.forbid(g.module, g.name, f"global '{g.module}.{g.name}' is allowed as a value, but "
                 "the pickles CPython writes never call it")
    s.push(rule(s, g, args.items, depth))


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
    elif flavor in NUMPY_BUILDS:
        NUMPY_BUILDS[flavor](s, target, state)
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
