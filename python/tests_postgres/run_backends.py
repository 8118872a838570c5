"""The python_postgres suite: the Session behaviour tests of python/tests whose classes hold
for every store (BACKENDS lists "postgresql"), run against stores on the PostgreSQL server the
PG* variables name, then the PostgreSQL-only tests of this directory. Classes made for files
alone are not collected here (they run in the python suites)."""

from __future__ import annotations

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")


def _cases(suite: unittest.TestSuite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _cases(item)
        else:
            yield item


def main() -> int:
    os.environ["PICKLEJAR_TEST_BACKEND"] = "postgresql"
    for variable in ("PGHOST", "PGPORT"):
        if variable not in os.environ:
            print(f"run_backends: {variable} is not set: start a server with "
                  "`eval \"$(scripts/pg-server start)\"`", file=sys.stderr)
            return 1
    sys.path[:0] = [TESTS, HERE]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    both = [case for case in _cases(loader.discover(TESTS, top_level_dir=TESTS))
            if "postgresql" in getattr(type(case), "BACKENDS", ())]
    if not both:
        print("run_backends: no test class of python/tests runs on both backends", file=sys.stderr)
        return 1
    suite.addTests(both)
    suite.addTests(unittest.TestLoader().discover(HERE, top_level_dir=HERE))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
