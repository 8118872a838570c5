"""What a session writes, a session with the same options reads.

``Session.__setitem__`` pickles a value with the standard pickler, which names any class or
function the value holds; the session loads entries through its allowlist
(:mod:`._safe_pickle`), which refuses what it does not list. A value naming such a global
would save fine and then fail on every load. :func:`check_loadable` refuses it at set time
instead, with an EncodeError that says what to register.

It reads the globals a pickle names from its opcodes (GLOBAL, STACK_GLOBAL, EXT*), which
costs nothing for plain data: CPython's pickler writes STACK_GLOBAL (0x93) at protocols 4-5 and
GLOBAL ("c") at 0-3, so a pickle without that byte names no global and is not scanned. When a
STACK_GLOBAL's names cannot be told from the opcodes before it (never for the standard
pickler), or the pickle reaches a global through builtins.getattr (a nested class at protocols
0-3, a method such as zoneinfo's ZoneInfo._unpickle), it is loaded through the allowlist
instead: the exact answer, at the cost of a load.
"""

from __future__ import annotations

import copyreg
import pickle
import pickletools
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ._safe_pickle import Allowlist, global_name_of, safe_loads
from .errors import EncodeError, ForbiddenGlobal

_PUSH_STR = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"}
_GET = {"GET", "BINGET", "LONG_BINGET"}
_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_GETATTR = {("builtins", "getattr"), ("__builtin__", "getattr")}
_UNKNOWN = object()  # a STACK_GLOBAL whose names are not plain pushed strings


def _names(data: bytes) -> Iterable[Any]:
    """Every global ``data`` names, as (module, name), or _UNKNOWN."""
    memo: Dict[int, Optional[str]] = {}
    recent: List[Optional[str]] = [None, None]  # the last two values pushed (str or None)
    for opcode, arg, _ in pickletools.genops(data):
        name = opcode.name
        if name in ("FRAME", "PROTO", "STOP"):
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = recent[-1]
        elif name in _PUT:
            memo[arg] = recent[-1]
        elif name == "GLOBAL":
            module, _, qualname = arg.partition(" ")
            yield module, qualname
        elif name == "STACK_GLOBAL":
            module, qualname = recent[-2], recent[-1]
            yield _UNKNOWN if module is None or qualname is None else (module, qualname)
        elif name in ("EXT1", "EXT2", "EXT4"):
            yield copyreg._inverted_registry.get(arg, _UNKNOWN)  # type: ignore[attr-defined]
        else:
            pushed = arg if name in _PUSH_STR else memo.get(arg) if name in _GET else None
            recent = [recent[-1], pushed]


def _may_name_globals(data: bytes, protocol: int) -> bool:
    if copyreg._extension_registry and any(  # type: ignore[attr-defined]
            op in data for op in (b"\x82", b"\x83", b"\x84")):
        return True
    return (b"\x93" if protocol >= 4 else b"c") in data


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


def check_loadable(data: bytes, protocol: int, allowlist: Allowlist, classes: Sequence[Any],
                   key: str, path: str) -> None:
    """EncodeError naming key, file and global when a session with ``allowlist`` could not
    load ``data`` (a pickle at ``protocol``) because it names a global the allowlist refuses."""
    if not _may_name_globals(data, protocol):
        return
    for found in _names(data):
        if found is _UNKNOWN:
            _check_by_loading(data, allowlist, classes, key, path)
            return
        module, name = found
        if (module, name) in _GETATTR:
            # getattr(X, 'name') reaches a nested class or a method: what it reaches shows
            # only when it runs, so the allowlist decides by loading.
            _check_by_loading(data, allowlist, classes, key, path)
            return
        try:
            allowlist.resolve(module, name)
        except ForbiddenGlobal:
            raise _refused(module, name, classes, key, path) from None


def _check_by_loading(data: bytes, allowlist: Allowlist, classes: Sequence[Any], key: str,
                      path: str) -> None:
    try:
        safe_loads(data, allowlist)
    except ForbiddenGlobal as e:
        raise _refused(e.module, e.name, classes, key, path) from None
    except Exception as e:
        raise EncodeError(f"cannot save key '{key}' in '{path}': its pickle would not load "
                          f"back: {e}") from e


def _refused(module: str, name: str, classes: Sequence[Any], key: str,
             path: str) -> EncodeError:
    return EncodeError(
        f"cannot save key '{key}' in '{path}': its pickle names {module}.{name}, which this "
        "session's allowlist would refuse on load (register the class with "
        f"Session(..., classes=[...]), or save plain data){registered_hint(classes, module, name)}"
    )


def pickled(value: Any, protocol: int, key: str, path: str) -> bytes:
    """``pickle.dumps(value, protocol)``; EncodeError naming key and file when it fails."""
    try:
        return pickle.dumps(value, protocol)
    except Exception as e:
        raise EncodeError(f"cannot save key '{key}' in '{path}': {e}") from e


__all__: Tuple[str, ...] = ("check_loadable", "pickled", "registered_hint")
