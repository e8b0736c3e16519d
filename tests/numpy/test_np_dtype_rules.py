"""mx.np elementwise functions and reductions give MXNet 1.9.1's dtypes, shapes
and integer values, call by call, as recorded by tools/make_fixtures_np_math.py
(unary, binary with other dtypes, with scalars on either side, reductions; eight dtypes)."""
import collections
import gzip
import json
import os

import numpy as onp
import pytest

import mxnet as mx
from mxnet import np

_FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "np_math",
                        "dtype_rules.json.gz")
with gzip.open(_FIXTURE, "rt") as _fh:
    _DATA = json.load(_fh)
_BY_FUNCTION = collections.defaultdict(list)
for _case in _DATA["cases"]:
    _BY_FUNCTION[_case[0]].append(_case)


def _argument(arg):
    kind, ref = arg
    if kind == "s":
        return ref
    data = onp.array(_DATA["arrays"][ref], dtype=_DATA["dtypes"][ref])
    if kind == "a0":
        data = data[0]
    # On the cpu: some recorded integer values are casts of NaN or of out-of-range
    # floats, which C leaves undefined and a GPU answers differently.
    return mx.nd.array(data, dtype=data.dtype, ctx=mx.cpu()).as_np_ndarray()


@pytest.mark.parametrize("name", sorted(_BY_FUNCTION))
def test_matches_mxnet(name):
    for _, args, kwargs, dtype, shape, values in _BY_FUNCTION[name]:
        out = getattr(np, name)(*[_argument(a) for a in args], **kwargs)
        where = f"np.{name}{tuple(args)} {kwargs}"
        assert out.dtype == onp.dtype(dtype), where
        assert out.shape == tuple(shape), where
        if values is not None:
            assert out.asnumpy().tolist() == values, where
