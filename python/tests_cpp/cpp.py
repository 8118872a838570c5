"""Running the C++ programs of the cross-language tests: tests/session_tool.cpp
($PICKLEJAR_SESSION_TOOL) and examples/counter ($PICKLEJAR_COUNTER), set by tests/meson.build."""

from __future__ import annotations

import os
import subprocess
from typing import List

TOOL = os.environ.get("PICKLEJAR_SESSION_TOOL", "")
COUNTER = os.environ.get("PICKLEJAR_COUNTER", "")


def tool_missing() -> str:
    return ("PICKLEJAR_SESSION_TOOL and PICKLEJAR_COUNTER must name build/tests/session_tool "
            "and build/examples/counter: run these tests with `meson test python_cpp`")


def run_tool(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs session_tool with ``args``; AssertionError with its output when ``check`` and it
    fails."""
    if not TOOL:
        raise AssertionError(tool_missing())
    result = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"session_tool {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}{result.stderr}")
    return result


def start_tool(*args: str, program: str = TOOL) -> subprocess.Popen:
    if not program:
        raise AssertionError(tool_missing())
    return subprocess.Popen([program, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def start_counter(path: str, key: str, count: int) -> subprocess.Popen:
    """examples/counter FILE KEY N --fast: N transact() increments."""
    return start_tool(path, key, str(count), "--fast", program=COUNTER)


def tool_lines(*args: str) -> List[str]:
    return run_tool(*args).stdout.splitlines()


class CppHolder:
    """A C++ process holding the exclusive lock of ``database`` (inside transact()) until
    stop()."""

    def __init__(self, database: str) -> None:
        self.process = start_tool("hold", database)
        line = self.process.stdout.readline().strip()
        if line != "locked":
            self.stop()
            raise AssertionError(f"session_tool hold did not start: {line!r} "
                                 f"{self.process.stderr.read()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)
        self.process.stdout.close()
        self.process.stderr.close()

    def __enter__(self) -> "CppHolder":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
