"""Write tests/fixtures/ops/linalg.npz with MXNet 1.9.1's outputs and gradients
for the ``_linalg_*`` operators (run with the oracle's interpreter, from a
directory outside this repository so ``import mxnet`` is the real one):

    cd /tmp && /path/to/.venv-ref/bin/python /path/to/tools/make_fixtures_linalg.py OUT.npz

Each case stores its kwargs and array shapes (JSON) and one flat vector of its
inputs, outputs, the head gradients fed to backward and the input gradients. Sign conventions (gelqf, syevd) and
the symmetric gradients of potrf/syevd are what the tests check against.
"""
import json
import sys

import mxnet as mx
import numpy as np

rng = np.random.default_rng(2024)


def spd(batch, n):
    x = rng.normal(size=(batch, n, n))
    return x @ x.transpose(0, 2, 1) + n * np.eye(n)


def general(*shape):
    return rng.normal(size=shape)


def lower(batch, n):
    return np.tril(general(batch, n, n)) + 3 * np.eye(n)


CASES = [
    ("potrf", "potrf", {}, [spd(2, 3)]),
    ("potri", "potri", {}, [lower(2, 3)]),
    ("gemm", "gemm", {"transpose_a": True, "alpha": 0.5, "beta": 2.0},
     [general(2, 4, 3), general(2, 4, 5), general(2, 3, 5)]),
    ("gemm2_axis", "gemm2", {"transpose_b": True, "axis": -3},
     [general(3, 2, 4), general(5, 2, 4)]),
    ("trmm", "trmm", {"transpose": True, "alpha": 2.0}, [general(2, 3, 3), general(2, 3, 4)]),
    ("trmm_right_upper", "trmm", {"rightside": True, "lower": False},
     [general(2, 3, 3), general(2, 4, 3)]),
    ("trsm", "trsm", {"alpha": 1.5}, [lower(2, 3), general(2, 3, 2)]),
    ("trsm_right_transpose", "trsm", {"rightside": True, "transpose": True},
     [lower(2, 3), general(2, 2, 3)]),
    ("sumlogdiag", "sumlogdiag", {}, [spd(2, 3)]),
    ("syrk", "syrk", {"transpose": True, "alpha": 0.5}, [general(2, 3, 4)]),
    ("gelqf", "gelqf", {}, [general(2, 3, 4)]),
    ("syevd", "syevd", {}, [spd(2, 4)]),
    ("inverse", "inverse", {}, [spd(2, 3)]),
    ("det", "det", {}, [general(2, 3, 3)]),
    ("slogdet", "slogdet", {}, [general(2, 3, 3)]),
    ("extractdiag", "extractdiag", {"offset": -1}, [general(2, 4, 4)]),
    ("makediag", "makediag", {"offset": 2}, [general(2, 3)]),
    ("extracttrian_upper", "extracttrian", {"lower": False}, [general(2, 4, 4)]),
    ("extracttrian_offset", "extracttrian", {"offset": 1}, [general(4, 4)]),
    ("maketrian_upper", "maketrian", {"lower": False}, [general(2, 6)]),
    ("maketrian_offset", "maketrian", {"offset": -1}, [general(6)]),
]


def run(func, kwargs, inputs):
    """Outputs, head gradients (float32-exact) and input gradients of one call."""
    xs = [mx.nd.array(a, dtype="float64") for a in inputs]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        outs = getattr(mx.nd.linalg, func)(*xs, **kwargs)
    outs = outs if isinstance(outs, list) else [outs]
    heads = [rng.uniform(0.5, 1.5, size=o.shape).astype(np.float32).astype(np.float64)
             for o in outs]
    mx.autograd.backward(outs, [mx.nd.array(h, dtype="float64") for h in heads])
    return [o.asnumpy() for o in outs], heads, [x.grad.asnumpy() for x in xs]


def main(path):
    # One flat float32 vector per case keeps the file small; inputs are rounded to
    # float32 before the (float64) oracle run so the test can feed the same values.
    data = {}
    for name, func, kwargs, inputs in CASES:
        inputs = [np.asarray(a, np.float32).astype(np.float64) for a in inputs]
        outs, heads, grads = run(func, kwargs, inputs)
        groups = {"in": inputs, "out": outs, "head": heads, "grad": grads}
        meta = {"func": func, "kwargs": kwargs,
                "shapes": {k: [list(a.shape) for a in v] for k, v in groups.items()}}
        data[f"{name}.meta"] = np.array(json.dumps(meta))
        data[f"{name}.values"] = np.concatenate(
            [np.ravel(a) for k in ("in", "out", "head", "grad") for a in groups[k]]
        ).astype(np.float32)
    np.savez_compressed(path, **data)


if __name__ == "__main__":
    main(sys.argv[1])
