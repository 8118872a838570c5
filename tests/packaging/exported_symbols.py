#!/usr/bin/env python3
"""The dynamic symbols a libpicklejar.so exports, in a form stable across builds.

usage: exported_symbols.py LIBRARY                 prints picklejar's exported entities
       exported_symbols.py LIBRARY --write FILE    rewrites the checked-in list (FILE is
                                                   tests/packaging/exported_symbols.txt)

Each of picklejar's symbols (`nm -D --defined-only`) is named by its demangled qualified name
without parameter lists or ABI tags: overloads and the constructor/destructor variants are one
entity ("picklejar::loads", "picklejar::Value::Value"); data keep their kind ("typeinfo for
picklejar::DecodeError", "vtable for picklejar::Error"). The install test compares these
entities with the checked-in list both ways.

Symbols of other namespaces are checked apart: they must be weak (vague linkage), as the
toolchain makes them: instantiations of std:: and fmt:: templates with public types, and the
typeinfo and vtables of the exception classes Boost's header-only code marks visible so that
they can be caught across libraries. Every program using the same headers emits the same
ones, the dynamic loader keeps one of each, and which appear varies with the optimization
level, so they are not listed. A strong foreign symbol (an extern "C" function, a global
outside the namespace) fails.
"""
import re
import subprocess
import sys

PUBLIC_NAMESPACE = "picklejar::"
# Kinds of symbols that name an entity after a prefix.
PREFIXES = ("typeinfo name for ", "typeinfo for ", "vtable for ", "VTT for ",
            "guard variable for ", "non-virtual thunk to ", "virtual thunk to ",
            "covariant return thunk to ")


def dynamic_symbols(library):
    """(type letter, mangled name) of each defined dynamic symbol of `library`."""
    out = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True,
                         text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    return [(row[-2], row[-1].split("@")[0]) for row in rows if len(row) >= 2]


def demangle(names):
    """Demangled names without parameter lists, in order (c++filt -p)."""
    out = subprocess.run(["c++filt", "-p"], input="\n".join(names), capture_output=True,
                         text=True, check=True).stdout
    return out.splitlines()


def entity(demangled):
    """The stable name of a demangled symbol: ABI tags dropped; kind prefix kept."""
    name = re.sub(r"\[abi:[^\]]*\]", "", demangled)
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return prefix + name[len(prefix):]
    return name


def owner(name):
    """The qualified name a symbol belongs to (its kind prefix and return type dropped)."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
    # A function template's demangled name starts with its return type; the entity follows
    # the last space outside template brackets.
    depth, start = 0, 0
    for i, c in enumerate(name):
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == " " and depth == 0 and not name.startswith("operator", i + 1):
            start = i + 1
    return name[start:]


def classify(library):
    """(picklejar's entities, foreign symbols that are not allowed) of `library`."""
    symbols = dynamic_symbols(library)
    names = demangle([mangled for _, mangled in symbols])
    own, bad_foreign = set(), []
    for (kind, mangled), name in zip(symbols, names):
        if owner(name).startswith(PUBLIC_NAMESPACE):
            own.add(entity(name))
        elif kind not in "WVvwu":
            bad_foreign.append("%s %s" % (kind, name))
    return own, bad_foreign


def read_list(path):
    with open(path) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


HEADER = """\
# What libpicklejar.so exports: picklejar's public API (PICKLEJAR_EXPORT in the headers), one
# entity a line (tests/packaging/exported_symbols.py says the form). The install test fails on
# any difference. After a deliberate change to the public API, regenerate with
#   tests/packaging/exported_symbols.py build/lib/libpicklejar.so --write tests/packaging/exported_symbols.txt
# and review the diff: an entity leaving the list breaks the ABI (CHANGELOG.md).
"""


def main():
    own, bad_foreign = classify(sys.argv[1])
    if bad_foreign:
        print("strong exported symbols outside picklejar's namespace:",
              *bad_foreign, sep="\n  ", file=sys.stderr)
    if len(sys.argv) == 4 and sys.argv[2] == "--write":
        with open(sys.argv[3], "w") as f:
            f.write(HEADER + "".join(line + "\n" for line in sorted(own)))
    else:
        print("\n".join(sorted(own)))
    return 1 if bad_foreign else 0


if __name__ == "__main__":
    sys.exit(main())
