"""The pre-scan's handlers for list, tuple, dict, set and frozenset opcodes.

Every opcode that adds to an existing value checks the target's kind first, as CPython's
fast paths assume it: on anything but a list, dict or set CPython would look ``extend``,
``append`` or ``add`` up on the target and call it. Objects accept items only if they are
registered classes (or an OrderedDict, for SETITEMS), and only before their BUILD.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

from ._prescan import ENTRY_BYTES, SLOT_BYTES, VALUE_BYTES, Scanner
from ._prescan_values import (
    DICT, FROZENSET, LIST, OBJECT, ORDERED_DICT, REGISTERED, SET, SMALL_DICT, TOO_MANY, TUPLE,
    LAZY, Node, frozenset_hash, items_of, kind_name, tuple_facts,
)

_EMPTY_TUPLE_HASH = hash(())


def _slice_depth(items: List[Any], target: Any = None) -> int:
    """1 + the deepest of ``items`` (the target itself, in a cycle, does not count)."""
    depth = 0
    for item in items:
        if type(item) is Node and item.depth > depth and item is not target:
            depth = item.depth
    return depth + 1


def _new_container(s: Scanner, kind: int, items: Optional[List[Any]]) -> Node:
    """A list with ``items``, or (items None) an empty dict or frozenset to fill."""
    if items is None:
        return s.new_node(Node(kind, 1))
    s.check_items(len(items))
    s.spend(SLOT_BYTES * len(items))
    return s.new_node(Node(kind, _slice_depth(items), None, None, items))


def _push_empty(s: Scanner, node: Node) -> None:
    s.stack.append(node)
    s.objects += 1
    s.total += VALUE_BYTES + SLOT_BYTES
    if s.objects > s.max_objects or s.total > s.max_total:
        s.over_budget()
    if s.max_depth < 1:
        s.depth_exceeded()


def empty_list(s: Scanner) -> None:
    _push_empty(s, Node(LIST, 1))


def empty_tuple(s: Scanner) -> None:
    _push_empty(s, Node(TUPLE, 1, 1, _EMPTY_TUPLE_HASH, []))


def empty_dict(s: Scanner) -> None:
    _push_empty(s, Node(DICT, 1))


def empty_set(s: Scanner) -> None:
    _push_empty(s, Node(SET, 1))


def list_(s: Scanner) -> None:
    s.push(_new_container(s, LIST, s.slice_from(s.pop_mark())))


def _push_tuple(s: Scanner, items: List[Any]) -> None:
    s.check_items(len(items))
    s.spend(SLOT_BYTES * len(items))
    depth, cost = tuple_facts(items)
    s.push(s.new_node(Node(TUPLE, depth, cost, LAZY, items)))


def tuple_(s: Scanner) -> None:
    _push_tuple(s, s.slice_from(s.pop_mark()))


def tuple_n(n: int) -> Callable[[Scanner], None]:
    def tuple_n(s: Scanner) -> None:
        if len(s.stack) - n < s.fence:
            s.underflow()
        _push_tuple(s, s.slice_from(len(s.stack) - n))
    return tuple_n


def dict_(s: Scanner) -> None:
    items = s.slice_from(s.pop_mark())
    if len(items) % 2:
        s.fail("odd number of items for DICT")
    node = _new_container(s, DICT, None)
    _set_items(s, node, items)
    s.push(node)


def frozenset_(s: Scanner) -> None:
    items = s.slice_from(s.pop_mark())
    node = _new_container(s, FROZENSET, None)
    _add_items(s, node, items)
    node.cost, node.h = 1, frozenset_hash(items)
    s.push(node)


def _target_below(s: Scanner) -> Tuple[Any, List[Any]]:
    """(the value under the innermost MARK, the MARK's slice), for APPENDS/SETITEMS/ADDITEMS."""
    base = s.pop_mark()
    if base <= s.fence or base > len(s.stack):
        s.underflow()
    return s.stack[base - 1], s.slice_from(base)


def _wrong_target(s: Scanner, target: Any, what: str) -> None:
    if type(target) is Node and target.kind == OBJECT and target.info.built:
        s.fail(f"{what} an object after its BUILD (pickle writes items before the state; "
               "after it, CPython would call methods the state may have replaced)")
    s.fail(f"cannot {what} a value of type '{kind_name(target)}'")


def _is_object(target: Any, *flavors: str) -> bool:
    return (type(target) is Node and target.kind == OBJECT and not target.info.built
            and target.info.flavor in flavors)


def _append_items(s: Scanner, target: Any, items: List[Any]) -> None:
    if type(target) is Node and target.kind == LIST:
        if target.items is None:
            target.items = items
        else:
            target.items.extend(items)
        s.check_items(len(target.items))
    elif _is_object(target, REGISTERED):
        target.n += len(items)
        s.check_items(target.n)
    else:
        _wrong_target(s, target, "append to")
    s.spend(SLOT_BYTES * len(items))
    s.deepen(target, _slice_depth(items, target))


def _set_items(s: Scanner, target: Any, pairs: List[Any]) -> None:
    if not ((type(target) is Node and target.kind == DICT)
            or _is_object(target, ORDERED_DICT, REGISTERED)):
        _wrong_target(s, target, "set items on")
    count = len(pairs) // 2
    s.check_items(target.n + count)
    s.insert_keys(target, pairs[0::2], "dict key")
    target.n += count
    if target.kind == DICT and target.items is not TOO_MANY:
        target.items = items_of(target) + pairs if target.n <= SMALL_DICT else TOO_MANY
    s.spend(ENTRY_BYTES * count)
    s.deepen(target, _slice_depth(pairs, target))


def _add_items(s: Scanner, target: Any, items: List[Any]) -> None:
    if not ((type(target) is Node and target.kind in (SET, FROZENSET))
            or _is_object(target, REGISTERED)):
        _wrong_target(s, target, "add items to")
    s.check_items(target.n + len(items))
    s.insert_keys(target, items, "set member")
    target.n += len(items)
    s.spend(ENTRY_BYTES * len(items))
    s.deepen(target, _slice_depth(items, target))


def append(s: Scanner) -> None:
    item = s.pop()
    _append_items(s, s.top(), [item])


def appends(s: Scanner) -> None:
    target, items = _target_below(s)
    _append_items(s, target, items)


def setitem(s: Scanner) -> None:
    value = s.pop()
    key = s.pop()
    _set_items(s, s.top(), [key, value])


def setitems(s: Scanner) -> None:
    target, pairs = _target_below(s)
    if len(pairs) % 2:
        s.fail("odd number of items for SETITEMS")
    _set_items(s, target, pairs)


def additems(s: Scanner) -> None:
    target, items = _target_below(s)
    if type(target) is Node and target.kind == FROZENSET:
        _wrong_target(s, target, "add items to")
    _add_items(s, target, items)
