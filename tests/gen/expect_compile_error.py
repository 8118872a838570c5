#!/usr/bin/env python3
"""Checks that a C++ file fails to compile for the intended reason.

usage: expect_compile_error.py SOURCE EXPECTED [EXPECTED...] -- COMPILER [FLAGS...]

Compiles SOURCE twice with -fsyntax-only: with -DPICKLEJAR_EXPECT_SUCCESS it must compile (so
the failure below is not a broken include path), and without it must fail with every
EXPECTED text in the compiler's output. Exit status 0 when both hold.
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
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
