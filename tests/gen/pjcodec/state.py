"""Plain classes for the typed-mapping tests (tests/test_codec_class.cpp).

Each class is what a Python program holding the C++ struct's data would write: attributes set
in __init__, nothing custom about pickling, except where a class exists to exercise a form
(slots, constructor arguments, a nested qualname).
"""


class Window:
    def __init__(self, width=800, height=600, title=""):
        self.width = width
        self.height = height
        self.title = title


class Session:
    def __init__(self, window, recent, prefs, saved_at=None):
        self.window = window
        self.recent = recent
        self.prefs = prefs
        self.saved_at = saved_at


class Door:
    def __init__(self):
        self.width = 1


class Empty:
    pass


class Outer:
    class Inner:
        def __init__(self, v):
            self.v = v


class Slotted:
    """State is (None, {'a': ..., 'b': ...})."""
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


class SlottedWithDict:
    """State is ({'extra': ...}, {'a': ...})."""
    __slots__ = ("a", "__dict__")

    def __init__(self, a, extra):
        self.a = a
        self.extra = extra


class WithArgs:
    """NEWOBJ with constructor arguments, which a mapped struct cannot take."""

    def __init__(self, width):
        self.width = width

    def __getnewargs__(self):
        return (self.width,)


class Node:
    def __init__(self, value, children):
        self.value = value
        self.children = children


def with_attributes(obj, **attributes):
    """obj with its instance attributes set (or replaced) as given."""
    for name, value in attributes.items():
        setattr(obj, name, value)
    return obj


def without_attributes(obj, *names):
    """obj without the given instance attributes."""
    for name in names:
        delattr(obj, name)
    return obj


class Registry(dict):
    """A dict subclass: CPython writes it with NEWOBJ and SETITEMS at protocols 2-5, and as
    copyreg._reconstructor(Registry, dict, {...}) below (tests/test_encoder_python.cpp)."""


class Tags(list):
    """A list subclass, likewise with APPENDS, or _reconstructor(Tags, list, [...])."""
