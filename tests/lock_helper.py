"""Locks a picklejar lock file the way docs/FORMAT.md tells Python to (tests/test_lock*.cpp).

    lock_helper.py LOCK_FILE OP
        OP is ex / sh (blocking fcntl.lockf), ex_nb / sh_nb (with LOCK_NB), or flock_ex_nb
        (fcntl.flock: a different kind of lock). Prints "locked" or "busy", then keeps the
        lock until its standard input is closed.
    lock_helper.py LOCK_FILE count N COUNTER_FILE
        N times: lockf exclusive, add 1 to the little-endian int64 at the start of
        COUNTER_FILE, unlock. Prints "done".
"""
import fcntl
import os
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


def hold(path, op):
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
