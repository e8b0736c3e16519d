"""Internal operators standing for Python/C++ objects (_CustomFunction,
_CachedOp, _CachedOpThreadSafe), out= filled from a 0-d result, variadic
signatures named as MXNet names them, and the legacy mx.nd.imdecode."""
import inspect
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import registry

imdecode = mx.nd.imdecode

SAMPLE_PNG = os.path.join(os.path.dirname(__file__), "fixtures", "image", "sample.png")


def test_every_reference_operator_is_registered():
    for name in ("_CachedOp", "_CachedOpThreadSafe", "_CustomFunction", "_NDArray", "_Native"):
        assert registry.find(name) is not None


@pytest.mark.parametrize("name", ["_CachedOp", "_CachedOpThreadSafe"])
def test_cached_op_nodes_explain_they_come_from_the_c_api(name):
    with pytest.raises(MXNetError, match="C API"):
        getattr(mx.nd._internal, name)(mx.nd.ones(2))
    sym = getattr(mx.sym._internal, name)(mx.sym.var("a"))
    with pytest.raises(MXNetError, match="C API"):
        sym.infer_shape(a=(2,))


def test_custom_function_node_cannot_run_on_its_own():
    op = registry.get("_CustomFunction")
    assert op.num_outputs(op.parse({"num_outputs": 2})) == 2
    assert op.infer_shape(op.default_attrs(), [(2,)]) == ([(2,)], [None])
    with pytest.raises(MXNetError, match="autograd.Function"):
        mx.nd._internal._CustomFunction(mx.nd.ones(2))


def test_autograd_function_still_differentiates():
    class Double(mx.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy * 2

    x = mx.nd.ones(3)
    x.attach_grad()
    with mx.autograd.record():
        y = Double()(x)
    y.backward()
    assert x.grad.asnumpy().tolist() == [2, 2, 2]


def test_zero_d_result_fills_a_pending_out(monkeypatch):
    monkeypatch.setattr(mx.ndarray.invoke, "ASYNC_MIN_SIZE", 0)
    x = mx.nd.zeros((300, 300), dtype="int32") + 1  # pushed: out= is pending
    mx.nd._internal._set_value(src=-4.5, out=x)
    assert np.unique(x.asnumpy()).tolist() == [-4]


def test_result_of_another_shape_is_still_rejected():
    with pytest.raises(MXNetError, match="shape"):
        mx.nd.zeros_like(mx.nd.ones(3), out=mx.nd.zeros(4))


@pytest.mark.parametrize("fn, star", [
    (lambda: mx.nd.add_n, "args"), (lambda: mx.nd.concat, "data"),
    (lambda: mx.nd.contrib.dgl_csr_neighbor_uniform_sample, "seed_arrays"),
    (lambda: mx.nd.contrib.dgl_csr_neighbor_non_uniform_sample, "seed_arrays"),
    (lambda: mx.nd.contrib.dgl_subgraph, "data"),
    (lambda: mx.nd.contrib.dgl_graph_compact, "graph_data"),
])
def test_variadic_signatures_name_the_array_list_input(fn, star):
    assert str(inspect.signature(fn())) == f"(*{star}, **kwargs)"


def _png():
    with open(SAMPLE_PNG, "rb") as f:
        return f.read()


def test_imdecode_signature_and_channels_first_bgr_result():
    assert str(inspect.signature(imdecode)) == \
        "(str_img, clip_rect=(0, 0, 0, 0), out=None, index=0, channels=3, mean=None)"
    bgr = mx.image.imdecode(_png(), to_rgb=False).asnumpy()
    out = imdecode(_png(), clip_rect=(1, 2, 4, 5))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.asnumpy(), bgr[2:5, 1:4].transpose(2, 0, 1))


def test_imdecode_writes_slice_index_of_a_4d_out_and_subtracts_mean():
    gray = imdecode(_png(), channels=1).asnumpy()
    batch = mx.nd.zeros((2,) + gray.shape)
    assert imdecode(_png(), out=batch, index=1, channels=1, mean=mx.nd.ones(gray.shape)) \
        is batch
    np.testing.assert_array_equal(batch.asnumpy()[1], gray - 1)
    assert not batch.asnumpy()[0].any()
    single = mx.nd.zeros(gray.shape)
    imdecode(bytearray(_png()), out=single, channels=1)
    np.testing.assert_array_equal(single.asnumpy(), gray)


@pytest.mark.parametrize("kwargs, message", [
    ({"str_img": "text"}, "str_img"),
    ({"clip_rect": (0, 0)}, "clip_rect"),
    ({"out": mx.nd.zeros((3, 4))}, "'out'"),
    ({"out": mx.nd.zeros((1, 3, 13, 17)), "index": 1}, "'index'"),
])
def test_imdecode_bad_arguments_raise(kwargs, message):
    kwargs.setdefault("str_img", _png())
    with pytest.raises(MXNetError, match=message):
        imdecode(**kwargs)
