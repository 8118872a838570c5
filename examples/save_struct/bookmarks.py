"""The Python side of the save_struct example: the class that save_struct.cpp's
bookmarks::Bookmark maps to with PICKLEJAR_CLASS(Bookmark, "bookmarks", "Bookmark", ...).

A plain class: pickle needs nothing from it but its module and name (bookmarks.Bookmark) and
sets the instance attributes that the C++ struct's members became.
"""


class Bookmark:
    def __init__(self, title, url, tags=(), added=None, visits=0):
        self.title = title
        self.url = url
        self.tags = list(tags)
        self.added = added
        self.visits = visits

    def __repr__(self):
        return "Bookmark(title=%r, url=%r, tags=%r, added=%r, visits=%r)" % (
            self.title, self.url, self.tags, self.added, self.visits)
