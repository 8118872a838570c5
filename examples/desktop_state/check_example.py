#!/usr/bin/env python3
"""The desktop_state example as a test, and the demo's last act: version 1 of the application
saves its state; version 2 migrates it and restores it, twice; an old version 1 then refuses
the migrated file; and python3 reads the file with nothing but sqlite3 and pickle.

    check_example.py DESKTOP_STATE_EXE [--show]     (--show prints what it runs)
"""
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile


def run(exe, *args, ok=True):
    done = subprocess.run([exe, *args], capture_output=True, text=True)
    if (done.returncode == 0) != ok:
        sys.exit(f"desktop_state {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout + done.stderr


def read_with_python(path):
    """Every entry, as Python's standard library reads them (docs/FORMAT.md)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {key: pickle.loads(data)
                for key, data in db.execute("SELECT key, pickle FROM entries ORDER BY key")}
    finally:
        db.close()


STEPS = [
    (["--version", "1", "--open", "/home/ada/notes.txt", "--move", "20", "10", "--theme", "dark"],
     "version 1 saved 1 recent files\n"),
    (["--open", "/home/ada/plan.md", "--move", "5", "5"],
     "migrating the state from version 1 to version 2\n"
     "restored: window 800x600 at (120, 110), theme dark, launch 1\n"
     "  recent: /home/ada/notes.txt\n"
     "saved: window at (125, 115), 2 recent files\n"),
    ([],
     "restored: window 800x600 at (125, 115), theme dark, launch 2\n"
     "  recent: /home/ada/plan.md\n"
     "  recent: /home/ada/notes.txt\n"
     "saved: window at (125, 115), 2 recent files\n"),
]
EXPECTED = {
    "launches": 2,
    "preferences": {"theme": "dark", "font_size": 11},
    "recent_files": ["/home/ada/plan.md", "/home/ada/notes.txt"],
    "window": {"x": 125, "y": 115, "width": 800, "height": 600, "maximized": False},
}


def main():
    exe = sys.argv[1]
    show = "--show" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "state.pj")
        for args, expected in STEPS:
            out = run(exe, path, *args)
            if show:
                print(f"$ desktop_state state.pj {' '.join(args)}\n{out}", end="")
            if out != expected:
                sys.exit(f"desktop_state {' '.join(args)} printed:\n{out}expected:\n{expected}")
        refused = run(exe, path, "--version", "1", ok=False)
        if "app schema version 2 is newer than this program's (1)" not in refused:
            sys.exit(f"version 1 did not refuse the migrated file: {refused}")
        if show:
            print(f"$ desktop_state state.pj --version 1\n{refused}", end="")
        state = read_with_python(path)
    if state != EXPECTED:
        sys.exit(f"python3 read {state!r}, expected {EXPECTED!r}")
    if show:
        print("$ python3: {key: pickle.loads(data) for key, data in "
              "sqlite3.connect(path).execute('SELECT key, pickle FROM entries')}")
    for key, value in state.items():
        print(f"{key} = {value!r}")


if __name__ == "__main__":
    main()
