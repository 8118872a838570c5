"""The Python class of the C++ struct crossstate::Window (tests/session_tool.cpp maps it with
PICKLEJAR_CLASS(Window, "crossstate", "Window", width, height, title, tags))."""


class Window:
    def __init__(self, width=800, height=600, title="", tags=None):
        self.width = width
        self.height = height
        self.title = title
        self.tags = [] if tags is None else tags

    def __eq__(self, other):
        return type(other) is Window and vars(self) == vars(other)

    def __repr__(self):
        return f"Window({self.width}, {self.height}, {self.title!r}, {self.tags!r})"
