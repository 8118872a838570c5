#!/usr/bin/env python3
"""The python_cpp_sharing example as a test: the C++ editor records state in a session file,
edit_state.py reads, edits and saves it, and the editor shows the change.

    check_example.py EDITOR_EXE
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_PACKAGE = os.path.join(HERE, "..", "..", "python")


def run(*command):
    env = dict(os.environ, PYTHONPATH=PYTHON_PACKAGE)
    done = subprocess.run(command, capture_output=True, text=True, env=env, encoding="utf-8")
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def expect(what, got, expected):
    if got != expected:
        sys.exit(f"{what} printed:\n{got}\nexpected:\n{expected}")
    print(got, end="")


def main():
    editor = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state.pj")
        for name in ("notes.txt", "draft.tmp", "todo.txt"):
            run(editor, state, "open", name)
        expect("editor show", run(editor, state, "show"),
               "launches: 3\nrecent: todo.txt, draft.tmp, notes.txt\n"
               "window: 800x600 'editor'\ntheme: light\n")
        expect("edit_state.py", run(sys.executable, os.path.join(HERE, "edit_state.py"), state),
               "launches: 3, recent: ['todo.txt', 'draft.tmp', 'notes.txt'], "
               "window: Window(800, 600, 'editor')\nsaved revision 4\n")
        expect("editor show", run(editor, state, "show"),
               "launches: 3\nrecent: todo.txt, notes.txt\n"
               "window: 1280x600 'edited from Python'\ntheme: dark\n")
        run(editor, state, "open", "notes.txt")
        expect("editor show", run(editor, state, "show"),
               "launches: 4\nrecent: notes.txt, todo.txt\n"
               "window: 1280x600 'edited from Python'\ntheme: dark\n")


if __name__ == "__main__":
    main()
