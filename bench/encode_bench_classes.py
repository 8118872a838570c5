"""The classes of encode_bench's session workload (bench/encode_bench.cpp maps its C++ structs
to them with PICKLEJAR_CLASS). Plain classes, as an application would write them; the
benchmark's CPython side times pickle.dumps of an instance loaded from the C++ pickle, so
the two sides pickle equal objects."""


class Geometry:
    def __init__(self, x=0, y=0, width=0, height=0, maximized=False, monitor=0):
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.maximized = maximized
        self.monitor = monitor


class Preferences:
    def __init__(self, theme="", font_family="", font_size=0.0, autosave=False,
                 autosave_seconds=0, keymap=None, languages=None, plugins=None):
        self.theme = theme
        self.font_family = font_family
        self.font_size = font_size
        self.autosave = autosave
        self.autosave_seconds = autosave_seconds
        self.keymap = keymap or {}
        self.languages = languages or {}
        self.plugins = plugins or []


class Session:
    def __init__(self, window=None, recent=None, prefs=None, open_tabs=None, saved_at=None):
        self.window = window
        self.recent = recent or []
        self.prefs = prefs
        self.open_tabs = open_tabs or []
        self.saved_at = saved_at
