#!/usr/bin/env python3
"""Counts test cases in a `meson test` log and prints "N passed, N failed".

Each suite reports its own cases: doctest prints "[doctest] test cases: N | P passed | F
failed", Python's unittest prints "Ran N tests" and "FAILED (failures=F, errors=E)". A test
program that crashed before reporting counts as one failed case, so a crash is never hidden.
"""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests?", re.M)
UNITTEST_FAILED = re.compile(r"FAILED \(([^)]*)\)")


def count(entry):
    out = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    ok = entry.get("result") in ("OK", "EXPECTEDFAIL")
    m = DOCTEST.findall(out)
    if m:
        passed = sum(int(x[1]) for x in m)
        failed = sum(int(x[2]) for x in m)
    elif UNITTEST_RAN.search(out):
        ran = sum(int(x) for x in UNITTEST_RAN.findall(out))
        failed = 0
        for group in UNITTEST_FAILED.findall(out):
            failed += sum(int(n) for n in re.findall(r"=(\d+)", group))
        passed = ran - failed
    else:
        passed, failed = (1, 0) if ok else (0, 1)
    if not ok and failed == 0:
        failed = 1  # the program failed (crash, sanitizer report) after its cases passed
    return passed, failed


def main(path):
    passed = failed = 0
    with open(path) as log:
        for line in log:
            line = line.strip()
            if line:
                p, f = count(json.loads(line))
                passed += p
                failed += f
    print(f"{passed} passed, {failed} failed")


if __name__ == "__main__":
    main(sys.argv[1])
