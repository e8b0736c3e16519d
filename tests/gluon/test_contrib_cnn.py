"""gluon.contrib.cnn deformable convolution layers: MXNet 1.9.1's parameters,
reprs and outputs, imperative and hybridized."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.gluon import nn
from mxnet.gluon.contrib.cnn import DeformableConvolution, ModulatedDeformableConvolution

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops",
                       "deformable_gluon.npz")


def _short(block):
    return {k[len(block.prefix):]: (v.shape, v.init) for k, v in block.collect_params().items()}


def test_deformable_convolution_parameters_and_repr():
    block = DeformableConvolution(4, kernel_size=3, padding=1, num_deformable_group=2)
    assert block.prefix.startswith("deformable_conv")
    assert _short(block) == {
        "offset_weight": ((36, 0, 3, 3), "zeros"), "offset_bias": ((36,), "zeros"),
        "deformable_conv_weight": ([4, 0, 3, 3], None),
        "deformable_conv_bias": ((4,), "zeros")}
    assert repr(block) == ("DeformableConvolution(None -> 4, kernel_size=(3, 3), "
                           "stride=(1, 1), padding=(1, 1))")
    block.initialize()
    block(mx.nd.ones((1, 2, 5, 5)))
    assert repr(block) == ("DeformableConvolution(2 -> 4, kernel_size=(3, 3), "
                           "stride=(1, 1), padding=(1, 1))")
    assert block.offset_weight.shape == (36, 2, 3, 3)


def test_deformable_convolution_repr_shows_options_as_given():
    block = DeformableConvolution(3, kernel_size=3, strides=[2, 2], dilation=2, groups=3,
                                  use_bias=False, activation="relu", in_channels=6)
    assert repr(block) == ("DeformableConvolution(None -> 3, kernel_size=(3, 3), "
                           "stride=[2, 2], dilation=(2, 2), groups=3, bias=False, "
                           "Activation(relu))")
    assert block.deformable_conv_bias is None and block.offset_bias is not None
    assert block.offset_weight.shape == (18, 2, 3, 3)


def test_modulated_layer_orders_parameters_and_uses_block_repr():
    block = ModulatedDeformableConvolution(4, kernel_size=(3, 3), offset_use_bias=False,
                                           activation="relu")
    assert list(_short(block)) == ["deformable_conv_weight", "deformable_conv_bias",
                                   "offset_weight"]
    assert block.offset_weight.shape == (27, 0, 3, 3)
    assert block.prefix.startswith("modulated_deformable_conv")
    assert repr(block) == "ModulatedDeformableConvolution(\n  (act): Activation(relu)\n)"
    assert repr(ModulatedDeformableConvolution(2)) == "ModulatedDeformableConvolution(\n\n)"


def test_adj_is_rejected():
    with pytest.raises(MXNetError, match="adj"):
        DeformableConvolution(3, adj=(1, 1))


@pytest.mark.parametrize("cls", [DeformableConvolution, ModulatedDeformableConvolution])
@pytest.mark.parametrize("hybridize", [False, True])
def test_fresh_layer_computes_a_plain_convolution(cls, hybridize):
    """Zero offsets (and a mask of 2*sigmoid(0) = 1) leave an ordinary convolution."""
    block = cls(6, kernel_size=3, padding=1, strides=2, groups=2, num_deformable_group=2)
    block.initialize()
    if hybridize:
        block.hybridize()
    x = mx.nd.random.uniform(shape=(2, 4, 7, 6))
    out = block(x)
    ref = nn.Conv2D(6, 3, strides=2, padding=1, groups=2)
    ref.initialize()
    ref(x)
    ref.weight.set_data(block.deformable_conv_weight.data())
    ref.bias.set_data(mx.nd.random.uniform(shape=(6,)))
    block.deformable_conv_bias.set_data(ref.bias.data())
    np.testing.assert_allclose(block(x).asnumpy(), ref(x).asnumpy(), rtol=1e-5, atol=1e-5)
    assert out.shape == (2, 6, 4, 3)


def _fixture_blocks():
    with np.load(FIXTURE) as z:
        arrays = {k: z[k] for k in z.files}
    names = sorted({k.split("/")[0] for k in arrays})
    return [pytest.param(n, {k.split("/", 1)[1]: v for k, v in arrays.items()
                             if k.startswith(n + "/")}, id=n) for n in names]


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("name,arrays", _fixture_blocks())
def test_layer_matches_mxnet(name, arrays, hybridize):
    block = getattr(mx.gluon.contrib.cnn, name)(**json.loads(str(arrays["kwargs"])))
    block.initialize()
    x = mx.nd.array(arrays["x"])
    block(x)
    params = block.collect_params()
    for key, value in arrays.items():
        if key.startswith("param/"):
            params[block.prefix + key[len("param/"):]].set_data(mx.nd.array(value))
    if hybridize:
        block.hybridize()
    x.attach_grad()
    with mx.autograd.record():
        out = block(x)
    np.testing.assert_allclose(out.asnumpy(), arrays["out"], rtol=1e-4, atol=1e-5)
    if "grad/x" not in arrays:
        return
    out.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), arrays["grad/x"], rtol=1e-4, atol=1e-5)
    for key, value in arrays.items():
        if key.startswith("grad/") and key != "grad/x":
            np.testing.assert_allclose(params[block.prefix + key[5:]].grad().asnumpy(), value,
                                       rtol=1e-4, atol=1e-4, err_msg=key)


def test_hybridized_graph_names_the_deformable_node_fwd():
    block = ModulatedDeformableConvolution(2, kernel_size=3, padding=1)
    block.initialize()
    block.hybridize()
    block(mx.nd.ones((1, 2, 4, 4)))
    sym = block._cached_graph[1]
    nodes = json.loads(sym.tojson())["nodes"]
    ops = {n["op"]: n["name"] for n in nodes if n["op"] != "null"}
    assert ops["_contrib_ModulatedDeformableConvolution"] == block.prefix + "fwd"
    assert "sigmoid" in ops and "slice_axis" in ops
