#!/usr/bin/env python3
"""The save_struct example as a test: runs the C++ program, then load_struct.py on what it
wrote, and checks that Python printed the bookmarks the C++ program holds, built here with
Python's own bookmarks.Bookmark class (the expected text comes from this python3).

    check_example.py SAVE_STRUCT_EXE
"""
import datetime
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bookmarks import Bookmark  # noqa: E402

UTC = datetime.timezone.utc
# What save_struct.cpp saves.
EXPECTED = [
    Bookmark("picklejar", "https://example.org/picklejar", ["c++", "python"],
             datetime.datetime(2024, 3, 14, 9, 26, tzinfo=UTC), 42),
    Bookmark("Café menu", "https://example.org/caf%C3%A9", [],
             datetime.datetime(2023, 12, 31, tzinfo=UTC), 3),
]


def main():
    save_struct = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bookmarks.pickle")
        saved = subprocess.run([save_struct, path], check=True, capture_output=True, text=True)
        assert saved.stdout == "saved 2 bookmarks to %s; the first is 'picklejar'\n" % path, \
            saved.stdout
        loaded = subprocess.run([sys.executable, os.path.join(HERE, "load_struct.py"), path],
                                check=True, capture_output=True, text=True, encoding="utf-8")
    expected = "".join("%r\n" % b for b in EXPECTED) + "most visited: picklejar\n"
    if loaded.stdout != expected:
        sys.exit("load_struct.py printed:\n%s\nexpected:\n%s" % (loaded.stdout, expected))
    print(loaded.stdout, end="")


if __name__ == "__main__":
    main()
