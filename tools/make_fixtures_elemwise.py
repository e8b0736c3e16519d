"""Write the oracle fixtures of tests/ops/test_unary.py and test_binary.py with MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_elemwise.py

It writes two compressed ``.npz`` files under ``tests/fixtures/ops/``. A
case is an input array and what MXNet returned for it; cases are grouped by
input dtype into ``<dtype>|in`` and ``<dtype>|out`` (concatenated) with
``<dtype>|keys`` and ``<dtype>|sizes`` telling where each case lies:

* ``elemwise_unary.npz`` -- keys ``op|dtype``: every unary operator on
  float16 and integer inputs (MXNet evaluates those in float32 and casts
  back), and the special functions (erf, erfinv, gamma, gammaln) on float
  inputs including their poles and domain edges.
* ``elemwise_scalar.npz`` -- keys ``op|dtype|scalar``: the scalar operators
  on integer arrays with fractional and negative scalars (the scalar is cast
  to the array's dtype first).

Integer cases keep only the inputs whose exact result is finite and fits the
dtype: converting nan, inf or out-of-range floats to integers is undefined
in C, so MXNet's answer there is a property of the machine, not of MXNet.
"""
import os

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")

UNARY = ["negative", "abs", "sign", "square", "sqrt", "rsqrt", "cbrt", "rcbrt", "exp", "expm1",
         "log", "log10", "log2", "log1p", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos",
         "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "degrees", "radians",
         "sigmoid", "softsign", "relu", "floor", "ceil", "trunc", "fix", "rint", "round",
         "logical_not", "erf", "gamma", "gammaln"]
SPECIAL = ["erf", "erfinv", "gamma", "gammaln"]
FLOATS = np.array([-3.5, -2.5, -1.5, -1, -0.75, -0.5, -0.2, 0, 0.2, 0.5, 0.75, 1, 1.5, 2.5, 3,
                   7.9, 100], dtype=np.float64)
INTS = np.array([-100, -7, -3, -2, -1, 0, 1, 2, 3, 7, 100], dtype=np.int64)
SPECIAL_POINTS = {
    "erf": [-np.inf, -5, -2, -1, -0.5, -1e-4, 0, 1e-4, 0.3, 0.5, 1, 2, 5, np.inf, np.nan],
    "erfinv": [-2, -1, -0.999999, -0.9, -0.5, -1e-4, 0, 1e-4, 0.3, 0.5, 0.9, 0.999999, 1, 2,
               np.nan],
    "gamma": [-np.inf, -3, -2.5, -1, -0.5, -0.0, 0, 1e-8, 0.5, 1, 2.5, 5, 10, 35, 171, 172,
              np.inf, np.nan],
    "gammaln": [-np.inf, -3, -2.5, -1, -0.5, 0, 1e-8, 0.5, 1, 2, 2.5, 10, 35, 171, 1e5, np.inf,
                np.nan],
}
SCALAR_OPS = ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
              "_rdiv_scalar", "_mod_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar",
              "_maximum_scalar", "_minimum_scalar", "_hypot_scalar", "_equal_scalar",
              "_greater_scalar", "_lesser_equal_scalar", "_logical_and_scalar",
              "_logical_xor_scalar"]
SCALARS = [2.0, -1.5, 2.5, -3.0, 0.5]


def fits(values, dtype):
    """Mask of the exact (float64) results representable in ``dtype``."""
    if np.dtype(dtype).kind == "f":
        return np.ones(values.shape, bool)
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= info.min) & (values <= info.max)


def call(name, x, **kwargs):
    fn = getattr(mx.nd, name, None) or getattr(mx.nd._internal, name)
    return fn(x, **kwargs).asnumpy()


def unary_cases():
    cases = {}
    for name in UNARY:
        for dtype in ("float16", "int32", "int64", "uint8", "int8"):
            src = FLOATS if dtype == "float16" else INTS
            if dtype == "uint8":
                src = np.unique(np.abs(INTS))
            x = src.astype(dtype)
            exact = call(name, mx.nd.array(x.astype(np.float64), dtype="float64"))
            x = x[fits(exact, dtype)]
            if x.size:
                cases[f"{name}|{dtype}"] = (x, call(name, mx.nd.array(x, dtype=dtype)))
    for name, points in SPECIAL_POINTS.items():
        for dtype in ("float32", "float64", "float16"):
            x = np.array(points, dtype=dtype)
            cases[f"{name}|{dtype}"] = (x, call(name, mx.nd.array(x, dtype=dtype)))
    return cases


def scalar_cases():
    cases = {}
    for name in SCALAR_OPS:
        for dtype in ("int32", "uint8", "int8"):
            for scalar in SCALARS:
                x = INTS.astype(dtype)
                if dtype == "uint8":
                    x = np.unique(np.abs(INTS)).astype(dtype)
                # MXNet divides integers by zero with a hardware trap: skip those.
                as_dtype = float(np.array(int(np.trunc(scalar))).astype(dtype))
                if name in ("_div_scalar", "_mod_scalar") and as_dtype == 0:
                    continue
                if name in ("_rdiv_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar"):
                    x = x[x != 0]
                # These compute in floating point and cast back: keep results that fit.
                if name in ("_rdiv_scalar", "_power_scalar", "_rpower_scalar", "_hypot_scalar"):
                    wide = call(name, mx.nd.array(x.astype(np.float64), dtype="float64"),
                                scalar=as_dtype)
                    x = x[fits(wide, dtype)]
                key = f"{name}|{dtype}|{scalar}"
                cases[key] = (x, call(name, mx.nd.array(x, dtype=dtype), scalar=scalar))
    return cases


def save(path, cases):
    """Store the cases grouped by input dtype: per dtype, the concatenated
    inputs and outputs plus each case's key and length (small files)."""
    groups = {}
    for key, (x, y) in cases.items():
        groups.setdefault(x.dtype.name, []).append((key, x, y))
    arrays = {}
    for dtype, items in groups.items():
        arrays[f"{dtype}|keys"] = np.array([k for k, _, _ in items])
        arrays[f"{dtype}|sizes"] = np.array([x.size for _, x, _ in items])
        arrays[f"{dtype}|in"] = np.concatenate([x for _, x, _ in items])
        arrays[f"{dtype}|out"] = np.concatenate([y for _, _, y in items])
    np.savez_compressed(path, **arrays)
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    save(os.path.join(OUT, "elemwise_unary.npz"), unary_cases())
    save(os.path.join(OUT, "elemwise_scalar.npz"), scalar_cases())


if __name__ == "__main__":
    main()
