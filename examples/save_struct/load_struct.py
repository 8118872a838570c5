#!/usr/bin/env python3
"""Loads the bookmarks that save_struct (C++) wrote, as instances of bookmarks.Bookmark.

    ./save_struct bookmarks.pickle
    python3 load_struct.py bookmarks.pickle
"""
import pickle
import sys

from bookmarks import Bookmark


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: load_struct.py FILE")
    with open(sys.argv[1], "rb") as f:
        bookmarks = pickle.load(f)
    for bookmark in bookmarks:
        assert type(bookmark) is Bookmark  # Python's own class, not a dict
        print(bookmark)
    print("most visited:", max(bookmarks, key=lambda b: b.visits).title)


if __name__ == "__main__":
    main()
