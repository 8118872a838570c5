#!/usr/bin/env python3
"""The desktop_state example as a test, and the demo's last act: version 1 of the application
saves its state; version 2 migrates it and restores it, twice; a Python tool (the picklejar
package) then writes a bad window and preferences and a last_opened datetime in Paris time,
and version 2 still starts, says what it ignored, reads the datetime as its UTC instant and
saves good values over the bad ones; version 2 then stays up watching, and shows the theme
a Python settings tool saves meanwhile; an old version 1 refuses the migrated file; the last
three states are kept as automatic backups (the oldest from before the migration); and python3
reads the file with nothing but sqlite3 and pickle.

    check_example.py DESKTOP_STATE_EXE [--show]     (--show prints what it runs)
"""
import datetime
import os
import pathlib
import pickle
import sqlite3
import subprocess
import sys
import tempfile
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "python"))
import picklejar  # noqa: E402  (the package in python/)


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
# What a Python tool writes: a window of the wrong shape, a preference of the wrong type, and
# a time the application shows.
LAST_OPENED = datetime.datetime(2026, 12, 7, 8, 42, 33, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
TOOL_EDITS = (
    "with picklejar.Session(path, mode=\"read_write\") as s:\n"
    "    s[\"window\"] = pathlib.PurePosixPath(\"/home/ada\")\n"
    "    s[\"preferences\"] = {\"theme\": 5, \"font_size\": 11}\n"
    "    s[\"last_opened\"] = datetime.datetime(2026, 12, 7, 8, 42, 33, "
    "tzinfo=zoneinfo.ZoneInfo(\"Europe/Paris\"))\n"
)
AFTER_THE_TOOL = (
    ["--move", "1", "1"],
    "state ignored: 'window': expected dict, got pathlib.PurePosixPath in 'state.pj'\n"
    "state ignored: 'preferences': expected str, got int in 'state.pj'\n"
    "restored: window 800x600 at (100, 100), theme light, launch 3\n"
    "  recent: /home/ada/plan.md\n"
    "  recent: /home/ada/notes.txt\n"
    "  last opened: 2026-12-07 07:42:33 UTC\n"
    "saved: window at (101, 101), 2 recent files\n",
)
# Version 2 stays up after saving; a settings tool changes the preferences meanwhile.
WATCHING = (
    ["--watch", "60"],
    "restored: window 800x600 at (101, 101), theme light, launch 4\n"
    "  recent: /home/ada/plan.md\n"
    "  recent: /home/ada/notes.txt\n"
    "  last opened: 2026-12-07 07:42:33 UTC\n"
    "saved: window at (101, 101), 2 recent files\n"
    "watching for changes\n"
    "changed by another program: preferences\n"
    "theme now dark, font size 13\n",
)
SETTINGS_TOOL = (
    "with picklejar.Session(path, mode=\"read_write\") as s:\n"
    "    s[\"preferences\"] = {\"theme\": \"dark\", \"font_size\": 13}\n"
)
EXPECTED = {
    "launches": 4,
    "preferences": {"theme": "dark", "font_size": 13},
    "recent_files": ["/home/ada/plan.md", "/home/ada/notes.txt"],
    "window": {"x": 101, "y": 101, "width": 800, "height": 600, "maximized": False},
    "last_opened": LAST_OPENED,
}


def watch(exe, path, show):
    """The application watches; a settings tool saves; the application shows the change."""
    args, expected = WATCHING
    app = subprocess.Popen([exe, path, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    out = ""
    while not out.endswith("watching for changes\n"):
        line = app.stdout.readline()
        if not line:
            sys.exit(f"desktop_state {' '.join(args)} stopped: {out}{app.stderr.read()}")
        out += line
    exec(SETTINGS_TOOL, {"picklejar": picklejar, "path": path})
    rest, err = app.communicate(timeout=120)
    out = (out + rest + err).replace(path, "state.pj")
    if show:
        print(f"$ desktop_state state.pj {' '.join(args)} &\n"
              f"$ python3  # a settings tool, while it runs\n{SETTINGS_TOOL}{out}", end="")
    if app.returncode != 0 or out != expected:
        sys.exit(f"desktop_state {' '.join(args)} printed:\n{out}expected:\n{expected}")


def check_backups(path, show):
    """Version 2 keeps the last 3 states; each launch backs up the state it starts from."""
    backups = picklejar.list_backups(path)
    launches = []
    for backup in backups:
        with picklejar.Session(backup.path, mode="read_only") as old:
            launches.append(old.get("launches"))
    if launches != [3, 2, 1]:
        sys.exit(f"the automatic backups hold launches {launches}, expected [3, 2, 1]")
    if show:
        print("$ python3: picklejar.list_backups(path)   # the last 3 states, newest first")
        for backup in backups:
            print(f"{backup.time:%Y-%m-%dT%H:%M:%SZ}  "
                  f"{os.path.basename(backup.path).replace(os.path.basename(path), 'state.pj')}")


def main():
    exe = sys.argv[1]
    show = "--show" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "state.pj")
        def step(args, expected):
            out = run(exe, path, *args).replace(path, "state.pj")
            if show:
                print(f"$ desktop_state state.pj {' '.join(args)}\n{out}", end="")
            if out != expected:
                sys.exit(f"desktop_state {' '.join(args)} printed:\n{out}expected:\n{expected}")

        for args, expected in STEPS:
            step(args, expected)
        exec(TOOL_EDITS, {"picklejar": picklejar, "pathlib": pathlib, "datetime": datetime,
                          "zoneinfo": zoneinfo, "path": path})
        if show:
            print(f"$ python3  # a tool edits the file with the picklejar package\n{TOOL_EDITS}",
                  end="")
        step(*AFTER_THE_TOOL)
        watch(exe, path, show)
        refused = run(exe, path, "--version", "1", ok=False)
        if "app schema version 2 is newer than this program's (1)" not in refused:
            sys.exit(f"version 1 did not refuse the migrated file: {refused}")
        if show:
            print(f"$ desktop_state state.pj --version 1\n{refused}", end="")
        state = read_with_python(path)
        check_backups(path, show)
    if state != EXPECTED:
        sys.exit(f"python3 read {state!r}, expected {EXPECTED!r}")
    if show:
        print("$ python3: {key: pickle.loads(data) for key, data in "
              "sqlite3.connect(path).execute('SELECT key, pickle FROM entries')}")
    for key, value in state.items():
        print(f"{key} = {value!r}")


if __name__ == "__main__":
    main()
