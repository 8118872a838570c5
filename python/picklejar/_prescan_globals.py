"""The pre-scan's globals, and the objects calls make.

A global resolves through the session's Allowlist exactly as SafeUnpickler.find_class will
resolve it, so a refused one is refused before anything runs. An object records what it is
an instance of (its flavor: a registered class, an OrderedDict, a UUID, ...), which decides
what BUILD and items may do to it.
"""

from __future__ import annotations

from typing import Any, List, NoReturn, Optional, Tuple

from ._numpy import NUMPY_NAMES
from ._prescan import Scanner
from ._prescan_values import (
    GLOBAL, OBJECT, ORDERED_DICT, PLAIN_OBJECT, REGISTERED, UUID, GlobalInfo, Node, ObjectInfo,
    is_kind, is_str, kind_name, str_value,
)

Key = Tuple[str, str]

_GETATTR = {("builtins", "getattr"), ("__builtin__", "getattr")}
GETATTR_ONLY = ("builtins.getattr is allowed only to reach a registered nested class from its "
                "outer class")


def text_of(s: Scanner, x: Any) -> str:
    try:
        return str_value(x)
    except (UnicodeDecodeError, ValueError) as e:
        s.fail(f"cannot decode the str: {e}")


# ---- globals -----------------------------------------------------------------------------------

def resolve(s: Scanner, module: str, name: str, count: int = 1) -> Node:
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
            numpy_missing = (module, name) in NUMPY_NAMES  # a known name: its message says why
            s.forbid(getattr(e, "module", module), getattr(e, "name", name),
                     str(e) if numpy_missing else None)
        info = GlobalInfo(module, name, namespace, (module, name) in s.allowlist.registered)
        h = None if namespace else _hash_or_none(s.allowlist.objects[(module, name)])
    return s.new_node(Node(GLOBAL, 0, 1, h, info=info), count)


def _hash_or_none(obj: Any) -> Optional[int]:
    try:
        return hash(obj)
    except TypeError:
        return None


def name_line(s: Scanner, what: str, encoding: str) -> str:
    raw = s.line(what)
    if not raw:
        s.fail(f"{what} is empty")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        s.fail(f"cannot decode {what}: {e}")


def op_global(s: Scanner) -> None:
    module = name_line(s, "GLOBAL module name", "utf-8")
    name = name_line(s, "GLOBAL name", "utf-8")
    s.push(resolve(s, module, name, 3))


def op_stack_global(s: Scanner) -> None:
    name = s.pop()
    module = s.pop()
    if not is_str(module) or not is_str(name):
        s.fail("STACK_GLOBAL requires str module and name, got "
               f"'{kind_name(module)}' and '{kind_name(name)}'")
    s.push(resolve(s, text_of(s, module), text_of(s, name)))


# ---- objects -----------------------------------------------------------------------------------

def make_object(s: Scanner, flavor: str, cls: Optional[Key], depth: int,
                text: Any = None) -> Node:
    cost = None if flavor == ORDERED_DICT else 1  # an OrderedDict is unhashable
    return s.new_node(Node(OBJECT, depth, cost, info=ObjectInfo(flavor, cls, text)))


def refuse_call(s: Scanner, g: GlobalInfo, items: List[Any], forms: str) -> NoReturn:
    got = ", ".join(kind_name(i) for i in items)
    s.forbid(g.module, g.name, f"global '{g.module}.{g.name}' is called only as {forms} in "
             f"the pickles CPython writes, not with ({got})")


def global_of(s: Scanner, x: Any, what: str) -> GlobalInfo:
    if not is_kind(x, GLOBAL):
        s.fail(f"{what} must be a global, got '{kind_name(x)}'")
    g: GlobalInfo = x.info
    if g.namespace:  # a stand-in for an outer class only serves getattr
        s.forbid(g.module, g.name)
    return g


def newobj(s: Scanner, cls: Any, items: List[Any], depth: int, what: str) -> Node:
    g = global_of(s, cls, f"{what}'s class")
    if g.registered:
        return make_object(s, REGISTERED, g.key, depth)
    if not items and g.key == ("builtins", "object"):
        return make_object(s, PLAIN_OBJECT, g.key, depth)
    if not items and g.key == ("uuid", "UUID"):
        return make_object(s, UUID, g.key, depth)
    s.forbid(g.module, g.name, f"{what} of global '{g.module}.{g.name}' with "
             f"{len(items)} arguments: pickle writes NEWOBJ only for object() and uuid.UUID "
             "without arguments, and for registered classes")
