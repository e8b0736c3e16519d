"""Write tests/fixtures/np_math/dtype_rules.json.gz with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_np_math.py

Under ``npx.set_np()``, every unary, binary (array-array with other dtypes,
array-scalar, scalar-array) and reduction function of ``mx.np`` that
tests/numpy/test_np_dtype_rules.py checks is called on small arrays of the
eight dtypes; the file records, per call that MXNet answers, the result's
dtype and shape, and its values when they are integers or bools (MXNet's
truncation rules). Calls MXNet refuses (mixed dtypes in comparisons...) are
left out: they work here. Integer ``power`` of 8-bit arrays is left out too:
it overflows, which C leaves undefined.
"""
import gzip
import json
import os
import warnings

import numpy as onp
import mxnet as mx
from mxnet import np, npx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "np_math")
DTYPES = ("float32", "float16", "float64", "int32", "int64", "uint8", "int8", "bool")
UNARY = ("negative", "abs", "sign", "square", "sqrt", "cbrt", "reciprocal", "exp", "expm1", "log",
         "log10", "log2", "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
         "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "degrees", "radians", "floor", "ceil",
         "trunc", "fix", "rint", "logical_not", "isnan", "isinf", "isfinite", "isposinf",
         "isneginf", "around")
POSITIVE_ONLY = ("sqrt", "log", "log10", "log2", "log1p", "arccosh")
BINARY = ("add", "subtract", "multiply", "true_divide", "mod", "power", "maximum", "minimum",
          "equal", "less", "greater_equal", "hypot", "arctan2", "copysign", "ldexp")
SCALARS = (2, 1.5, -1, 0.5, True)
REDUCE = (("sum", {}), ("sum", {"axis": 1}), ("prod", {"axis": 0}), ("mean", {}),
          ("mean", {"axis": 1}), ("std", {"axis": 0}), ("var", {}), ("max", {"axis": 1}),
          ("min", {}), ("argmax", {"axis": 1}), ("argmin", {}), ("all", {"axis": 0}),
          ("any", {}), ("cumsum", {"axis": 1}), ("cumsum", {}))


def arrays():
    """Named inputs: '<dtype>' in about [-3, 3], '<dtype>+' positive."""
    rng = onp.random.default_rng(5)
    out = {}
    for dtype in DTYPES:
        if dtype.startswith("float"):
            base = onp.round(rng.uniform(-3, 3, (3, 4)), 2).astype(dtype)
        elif dtype == "bool":
            base = rng.integers(0, 2, (3, 4)).astype(dtype)
        else:
            base = rng.integers(0 if dtype == "uint8" else -5, 6, (3, 4)).astype(dtype)
        out[dtype] = base
        out[dtype + "+"] = base if dtype == "bool" else (onp.abs(base) + 1).astype(dtype)
    return out


def cases():
    """(function, [argument...], kwargs): an argument is ['a', name] for an
    array, ['a0', name] for its first row, or ['s', scalar]."""
    for f in UNARY:
        for dtype in DTYPES:
            yield f, [["a", dtype + "+" if f in POSITIVE_ONLY else dtype]], {}
    for f in BINARY:
        for dtype in DTYPES:
            for other in sorted({"float32", "int32", "bool", "float16", dtype}):
                if f == "power" and dtype in ("uint8", "int8") and other in ("uint8", "int8"):
                    continue
                yield f, [["a", dtype + "+"], ["a0", other + "+"]], {}
            for s in SCALARS:
                yield f, [["a", dtype + "+"], ["s", s]], {}
                yield f, [["s", s], ["a", dtype + "+"]], {}
    for f, kwargs in REDUCE:
        for dtype in DTYPES:
            yield f, [["a", dtype]], kwargs


def main():
    warnings.filterwarnings("ignore")
    npx.set_np()
    named = arrays()

    def value(arg):
        kind, ref = arg
        if kind == "s":
            return ref
        data = named[ref] if kind == "a" else named[ref][0]
        return np.array(data, dtype=data.dtype)

    records = []
    for f, args, kwargs in cases():
        try:
            res = getattr(np, f)(*[value(a) for a in args], **kwargs).asnumpy()
        except mx.base.MXNetError:
            continue
        values = res.tolist() if res.dtype.kind in "biu" else None
        records.append([f, args, kwargs, res.dtype.name, list(res.shape), values])
    os.makedirs(OUT, exist_ok=True)
    with gzip.open(os.path.join(OUT, "dtype_rules.json.gz"), "wt") as fh:
        json.dump({"arrays": {k: v.tolist() for k, v in named.items()},
                   "dtypes": {k: v.dtype.name for k, v in named.items()},
                   "cases": records}, fh, separators=(",", ":"))
    print(len(records), "cases")


if __name__ == "__main__":
    main()
