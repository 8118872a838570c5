"""Loading pickles without running code: an Unpickler whose find_class serves an allowlist.

A pickle can name any importable global and call it (``os.system`` with an argument is two
opcodes). The :class:`SafeUnpickler` never imports anything: every global a pickle names is
looked up in a fixed table of objects that only build data — built-in containers and scalars,
``datetime``, ``decimal.Decimal``, ``uuid.UUID``, ``collections.OrderedDict``, the ``copyreg``
reconstructors — plus the classes the caller registers. Anything else raises
:class:`~picklejar.errors.ForbiddenGlobal` before a single call is made.

Registered classes are trusted as far as their own pickling methods go (``__setstate__``,
``__reduce__``, ``__new__``): register only classes whose unpickling does nothing but set
data. Persistent ids and out-of-band buffers are refused by pickle itself (no
``persistent_load``, no ``buffers``).
"""

from __future__ import annotations

import _codecs
import _compat_pickle
import collections
import copyreg
import datetime
import decimal
import io
import pickle
import uuid
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from .errors import ForbiddenGlobal

GlobalName = Tuple[str, str]


def _latin1_encode(text: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode`` as pickle uses it for bytes at protocols 0-2: ``(str, 'latin1')``.

    Other codecs are refused: a codec name can reach modules the allowlist never listed."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise ForbiddenGlobal(
            "_codecs", "encode", "_codecs.encode is allowed only as encode(str, 'latin1')"
        )
    return _codecs.encode(text, "latin1")


class _Namespace:
    """What a pickle gets for the class enclosing a registered nested class.

    Protocols 0-3 write ``Outer.Inner`` as ``getattr(Outer, 'Inner')``; this inert stand-in
    lets that form reach ``Inner`` without making ``Outer`` itself loadable."""

    __slots__ = ("module", "qualname")

    def __init__(self, module: str, qualname: str) -> None:
        self.module = module
        self.qualname = qualname

    def __repr__(self) -> str:
        return f"<picklejar namespace {self.module}.{self.qualname}>"


# Objects that only build plain data, by the (module, name) pickle writes for them.
DEFAULT_ALLOWED: Dict[GlobalName, Any] = {
    **{
        ("builtins", obj.__name__): obj
        for obj in (
            object, set, frozenset, bytearray, bytes, complex, list, dict, tuple, str,
            int, float, bool, range, slice,
        )
    },
    ("builtins", "Ellipsis"): Ellipsis,
    ("builtins", "NotImplemented"): NotImplemented,
    ("_codecs", "encode"): _latin1_encode,
    ("copyreg", "_reconstructor"): copyreg._reconstructor,  # type: ignore[attr-defined]
    ("copyreg", "__newobj__"): copyreg.__newobj__,  # type: ignore[attr-defined]
    **{
        ("datetime", cls.__name__): cls
        for cls in (
            datetime.date, datetime.time, datetime.datetime, datetime.timedelta,
            datetime.timezone,
        )
    },
    ("decimal", "Decimal"): decimal.Decimal,
    ("uuid", "UUID"): uuid.UUID,
    ("collections", "OrderedDict"): collections.OrderedDict,
}


def global_name_of(obj: Any) -> GlobalName:
    """The (module, qualname) under which pickle writes ``obj``."""
    try:
        return obj.__module__, obj.__qualname__
    except AttributeError:
        raise TypeError(f"{obj!r} has no __module__ and __qualname__ to register") from None


class Allowlist:
    """The globals a :class:`SafeUnpickler` may hand out: the defaults plus ``classes``."""

    def __init__(self, classes: Iterable[Any] = ()) -> None:
        self.objects: Dict[GlobalName, Any] = dict(DEFAULT_ALLOWED)
        self.namespaces: Dict[GlobalName, _Namespace] = {}
        for cls in classes:
            module, qualname = global_name_of(cls)
            self.objects[(module, qualname)] = cls
            parts = qualname.split(".")
            for i in range(1, len(parts)):
                outer = ".".join(parts[:i])
                self.namespaces.setdefault((module, outer), _Namespace(module, outer))
        self.objects[("builtins", "getattr")] = self._getattr

    def lookup(self, module: str, name: str) -> Any:
        """The allowed object (or namespace stand-in) named module.name; ForbiddenGlobal if none."""
        key = (module, name)
        if key in self.objects:
            return self.objects[key]
        if key in self.namespaces:
            return self.namespaces[key]
        if key in _compat_pickle.NAME_MAPPING:  # Python 2 names (protocols 0-2)
            return self.lookup(*_compat_pickle.NAME_MAPPING[key])
        if module in _compat_pickle.IMPORT_MAPPING:
            return self.lookup(_compat_pickle.IMPORT_MAPPING[module], name)
        raise ForbiddenGlobal(module, name)

    def _getattr(self, obj: Any, name: str, *default: Any) -> Any:
        """``getattr`` restricted to reaching an allowed nested class from its outer class."""
        if default or not isinstance(name, str):
            raise ForbiddenGlobal("builtins", "getattr", "builtins.getattr is allowed only as "
                                  "getattr(class, 'nested class name')")
        if isinstance(obj, _Namespace):
            module, qualname = obj.module, obj.qualname
        else:
            try:
                module, qualname = global_name_of(obj)
            except TypeError:
                raise ForbiddenGlobal("builtins", "getattr", "builtins.getattr is allowed only "
                                      "on a class") from None
            if self.objects.get((module, qualname)) is not obj:
                raise ForbiddenGlobal(module, qualname)
        return self.lookup(module, f"{qualname}.{name}")


class SafeUnpickler(pickle.Unpickler):
    """A pickle.Unpickler that resolves globals through an :class:`Allowlist` only."""

    def __init__(self, file: io.BufferedIOBase, allowlist: Allowlist) -> None:
        super().__init__(file)
        self._allowlist = allowlist

    def find_class(self, module: str, name: str) -> Any:
        return self._allowlist.lookup(module, name)


def safe_loads(data: bytes, allowlist: Allowlist) -> Any:
    """``pickle.loads(data)`` with globals limited to ``allowlist``; extra bytes are refused."""
    stream = io.BytesIO(data)
    value = SafeUnpickler(stream, allowlist).load()
    if stream.tell() != len(data):
        raise pickle.UnpicklingError(
            f"{len(data) - stream.tell()} bytes after the pickle's STOP opcode"
        )
    return value


def unsafe_loads(data: bytes, _allowlist: Optional[Mapping[Any, Any]] = None) -> Any:
    """Plain ``pickle.loads``: runs whatever the pickle names. Only for trusted files."""
    return pickle.loads(data)
