"""Locks a picklejar lock file the way docs/FORMAT.md tells Python to (tests/test_lock*.cpp).

    lock_helper.py LOCK_FILE OP
        OP is ex / sh (blocking fcntl.lockf), ex_nb / sh_nb (with LOCK_NB), flock_ex_nb
        (fcntl.flock: a different kind of lock), or doc_ex / doc_sh (lock_session() from the
        "## Lock protocol" section of docs/FORMAT.md, $PICKLEJAR_FORMAT_DOC, with a 0.2 s
        timeout). Prints "locked" or "busy", then keeps the lock until its standard input is
        closed.
    lock_helper.py LOCK_FILE count N COUNTER_FILE
        N times: lockf exclusive, add 1 to the little-endian int64 at the start of
        COUNTER_FILE, unlock. Prints "done".
"""
import fcntl
import os
import re
import sys


def lock(fd, op):
    """The protocol: a POSIX record lock on the whole file (len=0, start=0, whence=SEEK_SET)."""
    kinds = {
        "ex": fcntl.LOCK_EX,
        "sh": fcntl.LOCK_SH,
        "ex_nb": fcntl.LOCK_EX | fcntl.LOCK_NB,
        "sh_nb": fcntl.LOCK_SH | fcntl.LOCK_NB,
    }
    if op == "flock_ex_nb":
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        fcntl.lockf(fd, kinds[op], 0, 0, os.SEEK_SET)


def doc_lock_session():
    """lock_session() as docs/FORMAT.md's "## Lock protocol" section defines it."""
    text = open(os.environ["PICKLEJAR_FORMAT_DOC"], encoding="utf-8").read()
    start = text.index("\n## Lock protocol\n")
    block = re.compile(r"```python\n(.*?)```", re.S).search(text, start).group(1)
    namespace = {}
    exec(block, namespace)
    return namespace["lock_session"]


def hold(path, op):
    if op.startswith("doc_"):
        lock_session = doc_lock_session()
        try:
            lock_session(path[: -len(".lock")], op == "doc_ex", timeout=0.2)
            print("locked", flush=True)
        except TimeoutError:
            print("busy", flush=True)
        sys.stdin.read()
        return
    fd = os.open(path, os.O_RDWR)
    try:
        lock(fd, op)
        print("locked", flush=True)
    except OSError:  # BlockingIOError (EAGAIN) or PermissionError (EACCES)
        print("busy", flush=True)
    sys.stdin.read()


def count(path, n, counter_path):
    fd = os.open(path, os.O_RDWR)
    counter = os.open(counter_path, os.O_RDWR)
    for _ in range(n):
        fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0, os.SEEK_SET)
        value = int.from_bytes(os.pread(counter, 8, 0), "little", signed=True)
        os.pwrite(counter, (value + 1).to_bytes(8, "little", signed=True), 0)
        fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0, os.SEEK_SET)
    print("done", flush=True)


if __name__ == "__main__":
    if sys.argv[2] == "count":
        count(sys.argv[1], int(sys.argv[3]), sys.argv[4])
    else:
        hold(sys.argv[1], sys.argv[2])
