#!/usr/bin/env python3
"""Checks that a C++ file fails to compile for the intended reason.

usage: expect_compile_error.py SOURCE EXPECTED [EXPECTED...] [--max-lines=N] -- COMPILER [FLAGS...]

Compiles SOURCE twice with -fsyntax-only: with -DPICKLEJAR_EXPECT_SUCCESS it must compile (so
the failure below is not a broken include path), and without it must fail with every
EXPECTED text in the compiler's output, in at most N lines when --max-lines=N is given. Exit
status 0 when all of that holds.
"""
import subprocess
import sys


def compile_source(command, source, *defines):
    result = subprocess.run([*command, "-fsyntax-only", *defines, source],
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def main():
    split = sys.argv.index("--")
    source, expected = sys.argv[1], sys.argv[2:split]
    max_lines = None
    for item in [e for e in expected if e.startswith("--max-lines=")]:
        max_lines = int(item.split("=", 1)[1])
        expected.remove(item)
    command = sys.argv[split + 1:]
    status, output = compile_source(command, source, "-DPICKLEJAR_EXPECT_SUCCESS")
    if status != 0:
        print("the control build failed:\n" + output)
        return 1
    status, output = compile_source(command, source)
    if status == 0:
        print("compiled, but should not have")
        return 1
    missing = [text for text in expected if text not in output]
    if missing:
        print("the compiler failed without saying: %r\n%s" % (missing, output))
        return 1
    lines = output.count("\n")
    if max_lines is not None and lines > max_lines:
        print("the compiler said it in %d lines, more than %d:\n%s" % (lines, max_lines, output))
        return 1
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
