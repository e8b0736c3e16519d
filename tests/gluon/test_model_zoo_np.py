"""Model-zoo networks under npx.set_np(): mx.np outputs, imperative and
hybridized, equal to the same network's legacy-mode outputs."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import npx
from mxnet.gluon.model_zoo import vision

# name -> input size (SqueezeNet's last pooling window needs 224x224 inputs)
MODELS = {"resnet18_v1": 96, "resnet18_v2": 96, "resnet50_v1": 96, "mobilenet0.25": 96,
          "mobilenetv2_0.25": 96, "squeezenet1.1": 224}


def _save_legacy_params(name, data, params_file):
    net = vision.get_model(name)
    net.initialize(mx.init.Xavier())
    net(mx.nd.array(data))
    # BatchNorm statistics away from 0/1, so that they matter in the comparison.
    for p in net.collect_params().values():
        if p.name.endswith(("running_mean", "running_var")):
            p.set_data(p.data() * 0 + 0.5)
    net.save_parameters(str(params_file))
    return net(mx.nd.array(data))


def _np_forward(name, data, params_file):
    npx.set_np()
    try:
        net = vision.get_model(name)
        net.load_parameters(str(params_file))
        x = mx.np.array(data)
        imperative = net(x)
        net.hybridize()
        return imperative, net(x)
    finally:
        npx.reset_np()


@pytest.mark.parametrize("name", MODELS)
def test_zoo_model_under_np_matches_legacy(name, tmp_path):
    size = MODELS[name]
    data = onp.random.RandomState(0).uniform(size=(1, 3, size, size)).astype("float32")
    params = tmp_path / "net.params"
    legacy = _save_legacy_params(name, data, params)
    imperative, hybridized = _np_forward(name, data, params)
    assert type(imperative) is mx.np.ndarray and type(hybridized) is mx.np.ndarray
    onp.testing.assert_allclose(imperative.asnumpy(), legacy.asnumpy(), rtol=1e-4, atol=1e-5)
    onp.testing.assert_allclose(hybridized.asnumpy(), legacy.asnumpy(), rtol=1e-4, atol=1e-5)
