"""Report which MXNet 1.9.1 operators (from the reference list) are registered here.

    python tools/op_coverage.py [--missing] [--prefix _contrib_]

Reads ``../shared/reference/mxnet-1.9.1/ops.txt`` (one operator per line:
``name | arguments``) and compares names with the op registry; also checks
that each registered op declares the same parameter names as MXNet's.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mxnet.ops import registry  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference",
                         "mxnet-1.9.1", "ops.txt")


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list missing operators")
    parser.add_argument("--prefix", default="", help="only names starting with this")
    parser.add_argument("--include-np", action="store_true", help="include _np*/_npi*/_npx* ops")
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
    if args.missing:
        for n in names:
            if n not in ours:
                print(f"missing: {n}")


if __name__ == "__main__":
    main()
