"""The session benchmark's values as Python builds them: session_values() in
bench/session_bench_support.cpp, user-record dicts of 250-350 bytes pickled (about 323 on
average), so the Python benchmarks store what the C++ ones store."""

THEMES = ["dark", "light", "solarized", "high-contrast"]


def record(i):
    """session_values()'s i-th value."""
    return {"id": i, "name": f"User Number {i}", "email": f"user{i}@example.org",
            "score": (i % 1000) * 0.37, "active": i % 3 != 0,
            "tags": ["alpha", "beta", f"group-{i % 17}"], "created": "2024-05-17T12:34:56Z",
            "history": [i * 7 + h for h in range(5)],
            "prefs": {"theme": THEMES[i % 4], "font_size": 10 + i % 8, "autosave": i % 2 == 0,
                      "recent": [f"/home/user/doc{i}.txt", "/home/user/notes.md"]}}


def key(i):
    """session_key(i) of bench/session_bench_support.cpp."""
    return "key%06d" % i
