"""mx.gluon.model_zoo against MXNet 1.9.1 (fixtures from tools/make_fixtures_model_zoo.py).

* Every model of ``get_model`` (and variants) has MXNet's parameter names,
  structural names, shapes and reprs, so MXNet's published files load.
* Models filled with the NumPy-generated weights of ``zoo_weights`` give
  MXNet's outputs, imperatively and hybridized.
* ``.params`` files written by MXNet load (also from float16) and give
  MXNet's outputs; training mode updates running statistics and gradients
  as MXNet does.
* ``pretrained=True`` reads ``{name}-{hash}.params`` from ``root``; a missing
  file that cannot be downloaded is a clear MXNetError.
"""
import gzip
import hashlib
import json
import os
import shutil

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet.base import MXNetError
from mxnet.gluon.model_zoo import model_store, vision

from .zoo_weights import input_batch, zoo_weights

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "model_zoo")
with gzip.open(os.path.join(FIXTURES, "structure.json.gz"), "rt") as _f:
    STRUCTURE = json.load(_f)
OUTPUTS = np.load(os.path.join(FIXTURES, "outputs.npz"))
OUTPUT_CASES = sorted({key.rsplit(":", 1)[0] for key in OUTPUTS.files if "|" in key})
# Large inputs: run hybridized only, to keep the suite fast.
HEAVY = ("densenet121", "inceptionv3", "squeezenet1.0")

MODEL_NAMES = ["alexnet", "densenet121", "densenet161", "densenet169", "densenet201",
               "inceptionv3", "mobilenet0.25", "mobilenet0.5", "mobilenet0.75", "mobilenet1.0",
               "mobilenetv2_0.25", "mobilenetv2_0.5", "mobilenetv2_0.75", "mobilenetv2_1.0",
               "resnet101_v1", "resnet101_v2", "resnet152_v1", "resnet152_v2", "resnet18_v1",
               "resnet18_v2", "resnet34_v1", "resnet34_v2", "resnet50_v1", "resnet50_v2",
               "squeezenet1.0", "squeezenet1.1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
               "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


def _without_prefix(names, prefix):
    """Parameter names without the model's own prefix (its counter, e.g.
    'resnetv10_', depends on how many models the process built before)."""
    return [n[len(prefix):] for n in names]


def _case(key):
    name, kwargs, size = key.split("|")
    parsed = {}
    for item in filter(None, kwargs.split(",")):
        k, v = item.split("=")
        parsed[k] = {"True": True, "False": False}.get(v, v if not v.isdigit() else int(v))
    return name, parsed


def _filled(name, kwargs, x):
    """The model with zoo_weights (after a shape-completing forward on ``x``)."""
    net = vision.get_model(name, **kwargs)
    net.initialize()
    net.infer_shape(x)
    params = list(net.collect_params().values())
    for p, value in zip(params, zoo_weights([(p.name, p.shape) for p in params])):
        p.set_data(mx.nd.array(value))
    return net


def _assert_close(actual, expected):
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


def test_get_model_offers_mxnets_model_list():
    assert sorted(vision._models) == MODEL_NAMES
    assert sorted(model_store._model_sha1) == MODEL_NAMES
    assert {STRUCTURE[k]["name"] for k in STRUCTURE} == set(MODEL_NAMES)


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"Model foo is not supported.*\n\talexnet\n"):
        vision.get_model("foo")


@pytest.mark.parametrize("bad", [lambda: vision.get_resnet(3, 18),
                                 lambda: vision.get_resnet(1, 19),
                                 lambda: vision.get_vgg(12),
                                 lambda: vision.SqueezeNet("1.2")])
def test_unsupported_variants_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize("key", sorted(STRUCTURE))
def test_parameters_and_repr_match_mxnet(key):
    want = STRUCTURE[key]
    net = vision.get_model(want["name"], **want["kwargs"])
    assert repr(net) == want["repr_before"]
    net.initialize()
    net.infer_shape(mx.nd.zeros((1, 3, want["size"], want["size"])))
    params = net.collect_params()
    mxnet_prefix = want["names"][0][:want["names"][0].index("_") + 1]
    assert _without_prefix(params.keys(), net.prefix) == \
        _without_prefix(want["names"], mxnet_prefix)
    assert [list(p.shape) for p in params.values()] == want["shapes"]
    assert list(net._collect_params_with_prefix()) == want["structural"]
    assert repr(net) == want["repr_after"]


@pytest.mark.parametrize("key", OUTPUT_CASES)
def test_outputs_match_mxnet(key):
    name, kwargs = _case(key)
    x = mx.nd.array(input_batch(tuple(OUTPUTS[f"{key}:input_shape"])))
    net = _filled(name, kwargs, x)
    expected = OUTPUTS[f"{key}:output"]
    if name not in HEAVY:
        _assert_close(net(x).asnumpy(), expected)
    net.hybridize()
    _assert_close(net(x).asnumpy(), expected)


def test_mxnet_params_file_loads_and_predicts():
    net = vision.mobilenet0_25()
    net.load_parameters(os.path.join(FIXTURES, "mobilenet0.25.params"))
    x = mx.nd.array(input_batch(tuple(OUTPUTS["mobilenet0.25:input_shape"])))
    _assert_close(net(x).asnumpy(), OUTPUTS["mobilenet0.25:output"])
    net.hybridize()
    _assert_close(net(x).asnumpy(), OUTPUTS["mobilenet0.25:output"])


def test_training_mode_matches_mxnet_statistics_and_gradients():
    net = vision.mobilenet0_25()
    net.load_parameters(os.path.join(FIXTURES, "mobilenet0.25.params"))
    net(mx.nd.zeros((1, 3, 32, 32)))  # inference must not move the running statistics
    x = mx.nd.array(input_batch(tuple(OUTPUTS["mobilenet0.25:input_shape"])))
    with autograd.record():
        y = net(x)
    y.backward()
    _assert_close(y.asnumpy(), OUTPUTS["mobilenet0.25:train_output"])
    params = net._collect_params_with_prefix()
    for key in ("features.1.running_mean", "features.1.running_var", "features.79.running_var"):
        _assert_close(params[key].data().asnumpy(), OUTPUTS[f"mobilenet0.25:train:{key}"])
    # A gradient through 27 batch norms in training mode: compare as a whole
    # (float32 round-off moves single small entries by up to ~1%).
    grad = params["features.0.weight"].grad().asnumpy()
    expected = OUTPUTS["mobilenet0.25:train:grad:features.0.weight"]
    assert np.linalg.norm(grad - expected) <= 1e-3 * np.linalg.norm(expected)


def test_float16_params_file_loads_into_float32_model_with_cast_dtype():
    net = vision.squeezenet1_1(classes=10)
    path = os.path.join(FIXTURES, "squeezenet1.1_c10_fp16.params")
    net.load_parameters(path, cast_dtype=True)
    assert {p.dtype for p in net.collect_params().values()} == {np.float32}
    net.hybridize()
    x = mx.nd.array(input_batch(tuple(OUTPUTS["squeezenet1.1_c10_fp16:input_shape"])))
    _assert_close(net(x).asnumpy(), OUTPUTS["squeezenet1.1_c10_fp16:output"])


def _publish(monkeypatch, name, source, root):
    """Place ``source`` in ``root`` as model ``name``'s file, with the table's
    digest replaced by the file's own (the published file is not bundled)."""
    with open(source, "rb") as f:
        sha1 = hashlib.sha1(f.read()).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, name, sha1)
    path = os.path.join(root, f"{name}-{sha1[:8]}.params")
    shutil.copy(source, path)
    return path


def test_file_names_use_mxnets_short_hashes(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:9/")
    with pytest.raises(MXNetError, match=r"resnet18_v1-a0666292\.params"):
        model_store.get_model_file("resnet18_v1", root=str(tmp_path))


def test_pretrained_loads_the_file_from_root(tmp_path, monkeypatch):
    path = _publish(monkeypatch, "mobilenet0.25", os.path.join(FIXTURES, "mobilenet0.25.params"),
                    str(tmp_path))
    assert model_store.get_model_file("mobilenet0.25", root=str(tmp_path)) == path
    net = vision.get_model("mobilenet0.25", pretrained=True, root=str(tmp_path))
    x = mx.nd.array(input_batch(tuple(OUTPUTS["mobilenet0.25:input_shape"])))
    _assert_close(net(x).asnumpy(), OUTPUTS["mobilenet0.25:output"])


def test_missing_file_without_network_names_file_path_and_url(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:9/")
    root = str(tmp_path / "models")
    with pytest.raises(MXNetError) as info:
        vision.squeezenet1_1(pretrained=True, root=root)
    message = str(info.value)
    assert "squeezenet1.1-33ba0f93.params" in message
    assert root in message
    assert "http://127.0.0.1:9/gluon/models/squeezenet1.1-33ba0f93.zip" in message
    assert os.listdir(root) == []  # no partial download left behind


def test_damaged_file_without_network_says_its_content_differs(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:9/")
    (tmp_path / "alexnet-44335d1f.params").write_bytes(b"truncated")
    with pytest.raises(MXNetError, match="content differs from the published"):
        vision.alexnet(pretrained=True, root=str(tmp_path))


def test_mobilenet_file_names_spell_the_multiplier_like_mxnet(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:9/")
    for multiplier, name in [(0.5, "mobilenet0.5"), (1.0, "mobilenet1.0"),
                             (0.75, "mobilenet0.75")]:
        with pytest.raises(MXNetError, match=name.replace(".", r"\.") + "-"):
            vision.get_mobilenet(multiplier, pretrained=True, root=str(tmp_path))
    with pytest.raises(ValueError, match="Pretrained model for mobilenet0.30 is not available"):
        vision.get_mobilenet(0.3, pretrained=True, root=str(tmp_path))


def test_purge_removes_params_files(tmp_path):
    (tmp_path / "a-12345678.params").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    model_store.purge(str(tmp_path))
    assert os.listdir(tmp_path) == ["notes.txt"]
