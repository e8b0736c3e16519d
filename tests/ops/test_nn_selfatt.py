"""The oneDNN-fused self-attention ops (_sg_mkldnn_selfatt_qk/valatt): float path
against NumPy, gradients, and the unsupported quantized path."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

HEADS, DIM, LENGTH, BATCH = 2, 3, 4, 2
rng = np.random.default_rng(11)
QKV = rng.uniform(-1, 1, (LENGTH, BATCH, HEADS * 3 * DIM))
ATT = rng.uniform(0, 1, (BATCH * HEADS, LENGTH, LENGTH))


def _split(qkv):
    """Queries, keys, values as (batch*heads, length, dim) from the interleaved input."""
    x = qkv.reshape(LENGTH, BATCH, HEADS, 3, DIM).transpose(3, 1, 2, 0, 4)
    return [part.reshape(BATCH * HEADS, LENGTH, DIM) for part in x]


def ref_qk(qkv, heads, quantized=False):
    q, k, _ = _split(qkv)
    return (q @ k.transpose(0, 2, 1) / np.sqrt(DIM)).astype(qkv.dtype)


def ref_valatt(qkv, att, heads):
    _, _, v = _split(qkv)
    out = (att @ v).reshape(BATCH, HEADS, LENGTH, DIM).transpose(2, 0, 1, 3)
    return out.reshape(LENGTH, BATCH, HEADS * DIM).astype(qkv.dtype)


@pytest.mark.parametrize("case", [
    Case("_internal._sg_mkldnn_selfatt_qk", [QKV.astype(np.float32)], {"heads": HEADS},
         ref_qk, grad=True),
    Case("_internal._sg_mkldnn_selfatt_valatt", [QKV.astype(np.float32),
                                                  ATT.astype(np.float32)],
         {"heads": HEADS}, ref_valatt, grad=True),
    Case("_internal._sg_mkldnn_selfatt_qk", [QKV], {"heads": HEADS, "quantized": False},
         ref_qk, id="qk-float64"),
], ids=str)
def test_float_path_computes_interleaved_attention(case):
    run_case(case)


def test_same_as_the_interleaved_contrib_ops():
    qkv, att = mx.nd.array(QKV), mx.nd.array(ATT)
    np.testing.assert_array_equal(
        mx.nd._internal._sg_mkldnn_selfatt_qk(qkv, heads=HEADS).asnumpy(),
        mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=HEADS).asnumpy())
    np.testing.assert_array_equal(
        mx.nd._internal._sg_mkldnn_selfatt_valatt(qkv, att, heads=HEADS).asnumpy(),
        mx.nd.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=HEADS).asnumpy())


def test_quantized_inputs_are_listed_like_mxnet_and_rejected():
    sym = mx.sym._internal._sg_mkldnn_selfatt_qk(mx.sym.var("x"), heads=HEADS, quantized=True)
    assert sym.list_arguments() == ["x", sym.name + "_min_qkv", sym.name + "_max_qkv"]
    with pytest.raises(MXNetError, match="quantized"):
        mx.nd._internal._sg_mkldnn_selfatt_qk(mx.nd.array(QKV), heads=HEADS,
                                              quantized=True).asnumpy()


@pytest.mark.parametrize("bad,match", [
    (dict(heads=4), "multiple of heads"),
    (dict(data=np.ones((LENGTH, HEADS * 3 * DIM))), "3-D"),
    (dict(data=np.ones((LENGTH, BATCH, HEADS * 3 * DIM), dtype=np.int32)), "floating"),
])
def test_bad_arguments_raise(bad, match):
    bad = dict(bad)  # the parametrized dict is shared by every run of the case
    data = bad.pop("data", QKV)
    with pytest.raises(MXNetError, match=match):
        mx.nd._internal._sg_mkldnn_selfatt_qk(mx.nd.array(data, dtype=data.dtype),
                                              **{"heads": HEADS, **bad}).asnumpy()
