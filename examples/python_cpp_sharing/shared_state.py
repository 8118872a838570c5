"""The Python side of editor.cpp's state: the class its C++ struct Window maps to
(PICKLEJAR_CLASS(Window, "shared_state", "Window", width, height, title))."""


class Window:
    def __init__(self, width=800, height=600, title="editor"):
        self.width = width
        self.height = height
        self.title = title

    def __repr__(self):
        return f"Window({self.width}, {self.height}, {self.title!r})"
