#!/usr/bin/env python3
"""Reads, edits and saves the session file of editor.cpp: python3 edit_state.py state.pj

Needs picklejar (pip install ./python, or PYTHONPATH=python) and shared_state.py beside it.
"""
import sys

import picklejar
from shared_state import Window

with picklejar.Session(sys.argv[1], mode="read_write", classes=[Window]) as state:
    print(f"launches: {state['launches']}, recent: {state['recent']}, window: {state['window']}")
    with state.transact():  # atomic, even if the C++ app saves at the same moment
        window = state["window"]
        window.width, window.title = 1280, "edited from Python"
        state["window"] = window  # set again: values are copies, as in shelve
        state["recent"] = [name for name in state["recent"] if not name.endswith(".tmp")]
        state["theme"] = "dark"
    print(f"saved revision {state.info.revision}")
