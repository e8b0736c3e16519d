"""Report which MXNet 1.9.1 operators (from the reference list) are registered
here and exercised by the tests, per family.

    python tools/op_coverage.py [--missing] [--untested] [--prefix _contrib_]

Reads ``../shared/reference/mxnet-1.9.1/ops.txt`` (one operator per line:
``name | arguments``) and compares names with the op registry; also checks
that each registered op declares the same parameter names as MXNet's. A
family is the ``mxnet/ops`` file declaring the op. An op counts as tested
when a test file under ``tests/`` (or a fixture table there) names it by one of its names (the operator
name, an alias, or the short name its namespace shows, e.g. ``box_nms``).
"""
import argparse
import collections
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mxnet.ops import registry  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference",
                         "mxnet-1.9.1", "ops.txt")
TESTS = os.path.join(os.path.dirname(__file__), "..", "tests")
_PREFIXES = ("_contrib_", "_linalg_", "_random_", "_sample_", "_image_", "_sparse_")


def read_reference(path):
    ops = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or "|" not in line:
                continue
            name, _, rest = line.partition(" | ")
            args = [a.split(":")[0].strip() for a in rest.split(" | ")[0].split(";") if ":" in a]
            ops[name.strip()] = args
    return ops


def _test_words():
    """Every identifier appearing in the test files and their fixture tables."""
    words = set()
    paths = [p for pattern in ("*.py", "*.json", "*.txt")
             for p in glob.glob(os.path.join(TESTS, "**", pattern), recursive=True)]
    for path in paths:
        with open(path) as f:
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f.read()))
    return words


def _callable_names(op):
    names = {op.name, *op.aliases}
    for n in list(names):
        for prefix in _PREFIXES:
            if n.startswith(prefix):
                names.add(n[len(prefix):])
    return names


def _family(op):
    return op.compute.__module__.rsplit(".", 1)[-1]


def report_families(names, ours, words):
    """Print per family: reference ops registered, and how many of them tests call."""
    rows = collections.defaultdict(lambda: [0, 0])
    untested = []
    for n in names:
        if n not in ours:
            continue
        row = rows[_family(ours[n])]
        row[0] += 1
        if _callable_names(ours[n]) & words:
            row[1] += 1
        else:
            untested.append(n)
    print(f"{'family':24} registered  tested")
    for family, (have, tested) in sorted(rows.items()):
        print(f"{family:24} {have:10d}  {tested:6d}")
    return untested


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list missing operators")
    parser.add_argument("--prefix", default="", help="only names starting with this")
    parser.add_argument("--include-np", action="store_true", help="include _np*/_npi*/_npx* ops")
    parser.add_argument("--untested", action="store_true",
                        help="list registered operators no test calls")
    args = parser.parse_args()
    ref = read_reference(REFERENCE)
    ours = registry.all_ops()
    names = [n for n in ref if n.startswith(args.prefix)
             and (args.include_np or not n.startswith(("_np", "_npi", "_npx")))]
    have = [n for n in names if n in ours]
    print(f"{len(have)}/{len(names)} reference operators registered")
    mismatched = []
    for n in have:
        op = ours[n]
        expected = [a for a in ref[n] if a not in op.inputs and a not in op.aux]
        declared = [p for p in op.params if p != op.variadic]
        missing_params = [a for a in expected if a not in op.params]
        if missing_params:
            mismatched.append((n, missing_params, declared))
    for n, missing, declared in mismatched:
        print(f"  {n}: parameters missing {missing}")
    untested = report_families(names, ours, _test_words())
    print(f"{len(have) - len(untested)}/{len(have)} registered reference operators are called "
          "by tests")
    if args.missing:
        for n in names:
            if n not in ours:
                print(f"missing: {n}")
    if args.untested:
        for n in untested:
            print(f"untested: {n}")


if __name__ == "__main__":
    main()
