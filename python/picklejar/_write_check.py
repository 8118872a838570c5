"""What a session writes, a session with the same options reads.

``Session.__setitem__`` pickles a value with the standard pickler, which names any class or
function the value holds; the session loads entries through its allowlist
(:mod:`._safe_pickle`), which refuses what it does not list. A value naming such a global
would save fine and then fail on every load. :func:`check_loadable` refuses it at set time
instead, with an EncodeError that says what to register.

Plain data costs nothing: CPython's pickler names a global only with STACK_GLOBAL (byte 0x93)
at protocols 4-5, GLOBAL ("c") at 0-3, or EXT1/2/4 (0x82-0x84) for copyreg's extension
registry, so a pickle without those bytes names none (:func:`may_name_globals`; for a long
protocol 4-5 pickle, :func:`needs_load` looks for STACK_GLOBAL among its opcodes only, not
in their arguments). Otherwise the pickle is loaded through the allowlist, exactly as the session will load it: the answer
is exact (a global reached through builtins.getattr, a registered class whose
``__setstate__`` fails, a value over the session's DecodeLimits), at the cost of one load:
the pre-scan (Python speed) and the unpickling (C speed, about what pickling cost).

Plain data is also held to the session's DecodeLimits, without that load where it cannot
matter (:func:`needs_load`, as the C++ ``check_decodable``): a list nested 10,001 deep
pickles fine, and every load of it would raise LimitError. The pickler's recursion limit does
not bound that depth: a list of 10,001 lists, each holding the one before, pickles with a
recursion of three (each inner list is a memo reference), and reads 10,002 deep.
"""

from __future__ import annotations

import copyreg
import pickle
import re
from typing import Any, Dict, Optional, Sequence, Tuple

from ._limits import DecodeLimits
from ._prescan_fast import _MULTI_BYTE
from ._safe_pickle import Allowlist, global_name_of, safe_loads
from .errors import EncodeError, ForbiddenGlobal, printable

_EXT_OPCODES = (b"\x82", b"\x83", b"\x84")


def may_name_globals(data: bytes, protocol: int) -> bool:
    """False when the pickle ``data`` (written by CPython's pickler at ``protocol``) names
    no global."""
    if (b"\x93" if protocol >= 4 else b"c") in data:
        return True
    # copyreg's private registry (what copyreg.add_extension fills): not in typeshed
    return bool(copyreg._extension_registry) and any(  # type: ignore[attr-defined]
        op in data for op in _EXT_OPCODES)


# Opcodes that can make a value one level deeper than any before them: those that make a
# container or object, or add to one (the pre-scan's Node.depth: a scalar or empty container
# is 1 deep, anything else one more than its deepest item). Other opcodes push scalars, read
# the memo or frame the pickle.
_DEEPENING = (b"]})\x8fldt\x85\x86\x87\x91aesu\x90bR\x81\x92oic\x93\x82\x83\x84PQ"
              b"\x96\x97\x98")  # and BYTEARRAY8, NEXT_BUFFER, READONLY_BUFFER
_MARK = b"("
_MEMO = b"pqr\x94"  # PUT, BINPUT, LONG_BINPUT, MEMOIZE
_COUNTED = _DEEPENING + _MARK + _MEMO
_NOT_COUNTED = bytes(b for b in range(256) if b not in _COUNTED)


def needs_load(data: bytes, protocol: int, limits: DecodeLimits) -> bool:
    """False when a session with ``limits`` loads the pickle ``data`` (written by CPython's
    pickler at ``protocol``) within them and without resolving a global; True when only a
    load (:func:`check_loadable`) can tell.

    By size, as the C++ ``check_decodable``: n bytes hold at most n opcodes, so a pickle of
    fewer than max_depth and at most max_memo_entries bytes can nest no deeper and store no
    more; and one short enough (per byte at most one item, one payload byte, 8 values,
    1 KiB) reaches no limit on what a load makes. Between the two, the bytes that could be
    the opcodes that deepen, open a MARK or store to the memo are counted (an upper bound:
    argument bytes count too), a C-speed pass that builds nothing; when that bound is too
    high, or a byte could be a global, a protocol 4-5 pickle is tokenized (its arguments
    skipped: exact). Not bounded here: max_hash_work (dict keys whose hashes collide, chains
    of shared tuples as keys), which only the pre-scan counts."""
    size = len(data)
    sizes = _last if _last[0] is limits else _remember(limits)
    if size <= sizes[1] and protocol >= 4:  # the common case first: costs about 0.1 us
        if b"\x93" in data:
            return True
        return bool(copyreg._extension_registry) and any(  # type: ignore[attr-defined]
            op in data for op in _EXT_OPCODES)
    if protocol < 2 and size > limits.max_int_digits:
        return True  # INT/LONG text: a digit a byte
    if size <= sizes[1]:
        return may_name_globals(data, protocol)
    if size > sizes[2]:
        return True
    if not may_name_globals(data, protocol):
        counted = data.translate(None, _NOT_COUNTED)
        if len(counted) <= min(limits.max_depth - 1, limits.max_memo_entries) or \
                not _over(counted, 0, limits):
            return False
    if protocol < 4:
        return True
    opcodes = _opcodes(data)
    if opcodes is None:
        return True
    skeleton, tokens = opcodes
    # A token may end with the MEMOIZE after a string or LONG1: count one for each.
    return b"\x93" in skeleton or _over(skeleton.translate(None, _NOT_COUNTED), tokens, limits)


def _over(opcodes: bytes, memoized: int, limits: DecodeLimits) -> bool:
    """Whether ``opcodes`` (counted bytes: a superset of the opcodes that deepen, open a MARK
    or store to the memo, and ``memoized`` more stores) may reach max_depth or
    max_memo_entries."""
    return (len(opcodes.translate(None, _MARK + _MEMO)) + 1 > limits.max_depth
            or opcodes.count(_MARK) > limits.max_depth
            or len(opcodes) - len(opcodes.translate(None, _MEMO)) + memoized
            > limits.max_memo_entries)


def _opcodes(data: bytes) -> Optional[Tuple[bytes, int]]:
    """The opcodes of a protocol 4-5 pickle in order, each counted argument (and a MEMOIZE
    after a string or LONG1) replaced by V, and how many were: for a pickle the pre-scan's
    fast path can tokenize (strings and bytes under 256 bytes, ints, floats, memo reads,
    FRAMEs, and 1-byte opcodes; ``_prescan_fast``). None for any other."""
    global _tokens
    if _tokens is None:
        _tokens = re.compile(_MULTI_BYTE + rb"|\x95.{8}", re.DOTALL)
    if len(data) < 2 or data[0] != 0x80:
        return None
    skeleton, tokens = _tokens.subn(b"V", data[2:])
    if skeleton.translate(None, _ONE_BYTE_OPCODES) or skeleton.count(b"V") != tokens:
        return None  # an opcode with an argument it does not skip, or a V of the pickle's
    return skeleton, tokens


# The opcodes that take no argument (at protocols 4-5), and V for a token.
_ONE_BYTE_OPCODES = (b"]})\x8fldt\x85\x86\x87\x91aesu\x90bR\x81\x92o\x93Q"
                     b"(\x94N\x88\x89.012V")
_tokens: Any = None


_PER_BYTE_NODES = 8
_PER_BYTE_TOTAL = 1024
_FIXED_TOTAL = 1 << 20

# Per DecodeLimits object (by identity): (limits, the longest pickle that can reach no
# limit, the longest that can reach none but max_depth and max_memo_entries).
_sizes: Dict[int, Tuple[DecodeLimits, int, int]] = {}
_last: Tuple[Optional[DecodeLimits], int, int] = (None, 0, 0)  # the one used last


def _remember(limits: DecodeLimits) -> Tuple[DecodeLimits, int, int]:
    global _last
    known = _sizes.get(id(limits))
    if known is not None and known[0] is limits:
        _last = known
        return known
    counted = min(limits.max_input_bytes, limits.max_container_items,
                  limits.max_allocation_bytes, limits.max_objects // _PER_BYTE_NODES,
                  max(limits.max_total_bytes - _FIXED_TOTAL, 0) // _PER_BYTE_TOTAL)
    if len(_sizes) >= 64:
        _sizes.clear()
    sizes = _sizes[id(limits)] = (
        limits, min(counted, limits.max_depth - 1, limits.max_memo_entries), counted)
    _last = sizes
    return sizes


def registered_hint(classes: Sequence[Any], module: str, name: str) -> str:
    """For a refused module.name: the registered classes of the same name under another
    module or qualname, and why they do not count ("" when there are none)."""
    last = name.rpartition(".")[2]
    others = []
    for cls in classes:
        try:
            cls_module, cls_name = global_name_of(cls)
        except TypeError:
            continue
        if cls_name.rpartition(".")[2] == last and (cls_module, cls_name) != (module, name):
            others.append(f"{cls_module}.{cls_name}")
    if not others:
        return ""
    return (f" (registered classes: {', '.join(others)} is not {module}.{name}: a class is "
            "found by its __module__ and __qualname__, which must equal the name in the "
            "pickle)")


def check_loadable(data: bytes, allowlist: Allowlist, classes: Sequence[Any], key: str,
                   path: str, limits: Optional[DecodeLimits] = None) -> None:
    """EncodeError naming key and file unless a session with ``allowlist`` and ``limits``
    loads ``data`` (call it when :func:`needs_load`)."""
    try:
        safe_loads(data, allowlist, limits)
    except ForbiddenGlobal as e:
        raise _refused(e.module, e.name, classes, key, path) from None
    except Exception as e:
        raise EncodeError(f"cannot save key '{printable(key)}' in '{path}': its pickle would "
                          f"not load back: {e}") from e


def _refused(module: str, name: str, classes: Sequence[Any], key: str,
             path: str) -> EncodeError:
    return EncodeError(
        f"cannot save key '{printable(key)}' in '{path}': its pickle names {module}.{name}, "
        "which this session's allowlist would refuse on load (register the class with "
        f"Session(..., classes=[...]), or save plain data){registered_hint(classes, module, name)}"
    )


def pickled(value: Any, protocol: int, key: str, path: str) -> bytes:
    """``pickle.dumps(value, protocol)``; EncodeError naming key and file when it fails."""
    try:
        return pickle.dumps(value, protocol)
    except Exception as e:
        raise EncodeError(f"cannot save key '{printable(key)}' in '{path}': {e}") from e


__all__: Tuple[str, ...] = ("check_loadable", "may_name_globals", "needs_load", "pickled",
                            "registered_hint")
