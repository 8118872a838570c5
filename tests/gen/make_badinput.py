#!/usr/bin/env python3
"""Extracts CPython's own bad-input pickles from the machine's Lib/test/pickletester.py and
writes them as files for tests/test_cpython_badinput.cpp.

    python3 tests/gen/make_badinput.py OUTDIR

The inputs are read from the source of AbstractUnpickleTests with `ast` (they are literals
inside the test methods), never copied by hand:
    test_bad_stack            the `badpickles` list (44 inputs)
    test_bad_mark             the `badpickles` list (30 inputs)
    test_truncated_data       the two EOFError inputs, the `badpickles` list, and every
                              proper prefix of each of them
    test_badly_quoted_string  the `badpickles` list
    test_badly_escaped_string, test_negative_put, test_maxint64 (the "JUNK" literal)
                              the data passed to check_unpickling_error
plus the valid neighbours those tests load (test_correctly_quoted_string, the maxint64 and
frame_readline pickles, test_dup), so the C++ side also checks that it accepts what CPython
accepts.

Every bad input is loaded here with pickle.loads and must fail (the script exits non-zero
otherwise: a wrongly extracted input would make the C++ test meaningless). Output:
    OUTDIR/bad/<family>.<NNN>.pkl      a bad input
    OUTDIR/bad/<family>.<NNN>.err      the exception class CPython raised for it
    OUTDIR/good/<family>.<NNN>.pkl     a valid input
    OUTDIR/good/<family>.<NNN>.repr    repr(pickle.loads(input))
    OUTDIR/counts.txt                  "bad|good <family> <count>" per line
"""
import ast
import importlib.util
import os
import pickle
import shutil
import sys

BAD_LISTS = ["test_bad_stack", "test_bad_mark", "test_truncated_data", "test_badly_quoted_string"]
BAD_CALLS = ["test_truncated_data", "test_badly_escaped_string", "test_negative_put",
             "test_maxint64"]


def pickletester_source():
    spec = importlib.util.find_spec("test.pickletester")
    if spec is None or spec.origin is None:
        sys.exit("make_badinput: this python3 has no test.pickletester")
    with open(spec.origin, encoding="utf-8") as f:
        return spec.origin, f.read()


def methods(tree):
    """The methods of AbstractUnpickleTests, by name."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "AbstractUnpickleTests":
            return {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    sys.exit("make_badinput: AbstractUnpickleTests not found")


def evaluate(expr, names):
    """Evaluates a constant expression such as b'I' + str(maxint64).encode('ascii') + b'\\n.'."""
    code = compile(ast.Expression(expr), "<pickletester>", "eval")
    return eval(code, {"__builtins__": {"str": str}}, dict(names))


def local_values(func):
    """Runs the method's plain assignments (name = expression) in order; returns name -> value
    for the most recent value of each name, and the list of values each name took."""
    names, history = {}, {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            try:
                value = evaluate(node.value, names)
            except Exception:
                continue  # not a constant expression (e.g. a call to self.loads)
            names[node.targets[0].id] = value
            history.setdefault(node.targets[0].id, []).append(value)
    return names, history


def unpickling_error_args(func, history):
    """The data argument of every self.check_unpickling_error(errors, data) call."""
    out = []
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "check_unpickling_error" and len(node.args) == 2:
            arg = node.args[1]
            if isinstance(arg, ast.Name):
                if arg.id == "p":
                    continue  # the loop over `badpickles`, collected separately
                # The value the name held at the call: the last assignment before it.
                out.append(history[arg.id][-1])
            else:
                out.append(evaluate(arg, {}))
    return out


def extract_bad(funcs):
    cases = {}
    for name in BAD_LISTS:
        names, _ = local_values(funcs[name])
        cases.setdefault(name, []).extend(names["badpickles"])
    for name in BAD_CALLS:
        _, history = local_values(funcs[name])
        cases.setdefault(name, []).extend(unpickling_error_args(funcs[name], history))
    # test_truncated_data checks each input as it stands; every shorter prefix of a truncated
    # pickle is truncated too, so those are checked as well.
    prefixes = []
    for data in cases["test_truncated_data"]:
        prefixes += [data[:n] for n in range(len(data))]
    cases["test_truncated_data_prefixes"] = sorted(set(prefixes) - set(cases["test_truncated_data"]))
    return cases


def extract_good(funcs):
    good = {}
    names, _ = local_values(funcs["test_correctly_quoted_string"])
    good["test_correctly_quoted_string"] = [p for p, _ in names["goodpickles"]]
    _, history = local_values(funcs["test_maxint64"])
    good["test_maxint64"] = history["data"][:1]
    for name in ("test_frame_readline", "test_dup"):
        names, _ = local_values(funcs[name])
        good[name] = [names["pickled"]]
    return good


def write(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def main(outdir):
    origin, source = pickletester_source()
    funcs = methods(ast.parse(source))
    bad, good = extract_bad(funcs), extract_good(funcs)
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(os.path.join(outdir, "bad"))
    os.makedirs(os.path.join(outdir, "good"))
    counts = []
    for family, inputs in bad.items():
        for i, data in enumerate(inputs):
            try:
                pickle.loads(data)
            except Exception as e:
                error = type(e).__name__
            else:
                sys.exit("make_badinput: CPython loads %s input %r" % (family, data))
            base = os.path.join(outdir, "bad", "%s.%03d" % (family, i))
            write(base + ".pkl", data)
            write(base + ".err", error, "w")
        counts.append("bad %s %d" % (family, len(inputs)))
    for family, inputs in good.items():
        for i, data in enumerate(inputs):
            base = os.path.join(outdir, "good", "%s.%03d" % (family, i))
            write(base + ".pkl", data)
            write(base + ".repr", repr(pickle.loads(data)), "w")
        counts.append("good %s %d" % (family, len(inputs)))
    write(os.path.join(outdir, "counts.txt"), "\n".join(counts) + "\n", "w")
    print("make_badinput: from %s: %s" % (origin, ", ".join(counts)))


if __name__ == "__main__":
    main(sys.argv[1])
