#!/usr/bin/env python3
"""Checks that every public header stops a pre-C++20 compile with one readable error.

usage: check_cxx20_guard.py INCLUDE_DIR -- COMPILER [FLAGS...]

Each header in INCLUDE_DIR/picklejar, included first in a C++17 translation unit, must fail
to compile with picklejar's "needs C++20" message as the first error and a short output (no
cascade of errors from the headers' C++20 code). As a control, one C++20 translation unit
including every header must compile.
"""
import pathlib
import subprocess
import sys
import tempfile

MESSAGE = "picklejar needs C++20"
MAX_LINES = 15


def compile_text(command, text, std):
    with tempfile.NamedTemporaryFile("w", suffix=".cpp") as source:
        source.write(text)
        source.flush()
        result = subprocess.run([*command, "-std=" + std, "-fsyntax-only", source.name],
                                capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def main():
    split = sys.argv.index("--")
    include_dir = pathlib.Path(sys.argv[1])
    command = sys.argv[split + 1:] + ["-I" + str(include_dir)]
    headers = sorted(p.name for p in (include_dir / "picklejar").glob("*.hpp"))
    if len(headers) < 10:
        print("found only %r under %s" % (headers, include_dir))
        return 1

    everything = "".join("#include <picklejar/%s>\n" % h for h in headers)
    status, output = compile_text(command, everything, "c++20")
    if status != 0:
        print("the control build (every header, C++20) failed:\n" + output)
        return 1

    failures = 0
    for header in headers:
        status, output = compile_text(command, "#include <picklejar/%s>\n" % header, "c++17")
        first_error = next((line for line in output.splitlines() if " error: " in line), "")
        lines = len(output.splitlines())
        if status == 0 or MESSAGE not in first_error or lines > MAX_LINES:
            print("FAIL %s under C++17: exit %d, %d lines, first error %r\n%s"
                  % (header, status, lines, first_error, output))
            failures += 1
        else:
            print("ok   %s under C++17: %d lines, %s" % (header, lines, first_error.strip()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
