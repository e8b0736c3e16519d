"""Write the fixtures of tests/gluon/test_nn_layers.py and test_contrib_nn.py
with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_gluon_nn.py

Files written to tests/fixtures/gluon_nn/:
* ``layers.json``: for each layer case of ``CASES`` (class, arguments, input
  shape): parameter names, shapes and grad_req, reprs before and after the
  first forward pass, and the operator nodes (op, name, attributes) of the
  graph the layer builds on a Symbol;
* ``layers.params``: every case's parameters (``<case>.<name>``) as set
  before its training step;
* ``layers.npz``: per case the input ``x``, head gradient ``dy``, the
  training-mode output ``y`` and gradients (``dx``, ``grad.<name>``), the
  parameters after the step (BatchNorm's moving statistics) and the
  inference-mode output ``y_eval`` after the step;
* ``lenet.params``/``resblock.params`` (``save_parameters`` of the initial
  weights) and ``nets.npz``: data, per-step losses, final outputs and weights
  of a LeNet-style net and a ResNet basic block trained with SGD-momentum.
"""
import json
import os

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn
from mxnet.gluon.contrib import nn as contrib_nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "gluon_nn")
rng = np.random.RandomState(11)

# (case name, class, positional args, keyword args, input shape, numeric check).
# Lists in args become tuples. Numeric checks are off for random layers and for
# channels-last convolutions, which MXNet 1.9.1 cannot run on CPU (the tests
# check those against the channels-first layers instead).
CASES = [
    ("conv1d", "nn.Conv1D", [4, 3], {"padding": 1}, [2, 3, 7], True),
    ("conv1d_dilated_groups", "nn.Conv1D", [4, 3],
     {"dilation": 2, "groups": 2, "strides": 2, "in_channels": 4}, [2, 4, 9], True),
    ("conv2d_relu", "nn.Conv2D", [4, 3], {"strides": 2, "padding": 1, "activation": "relu"},
     [2, 3, 7, 7], True),
    ("conv2d_rect_nobias", "nn.Conv2D", [4, [3, 2]],
     {"groups": 2, "dilation": [2, 1], "use_bias": False}, [2, 4, 8, 7], True),
    ("conv2d_nhwc", "nn.Conv2D", [4, 3], {"layout": "NHWC", "padding": [1, 0]},
     [2, 6, 5, 3], False),
    ("conv3d", "nn.Conv3D", [3, 2], {"strides": [1, 2, 1]}, [2, 2, 4, 4, 3], True),
    ("conv3d_ndhwc", "nn.Conv3D", [3, 2], {"layout": "NDHWC", "activation": "tanh"},
     [1, 3, 4, 4, 2], False),
    ("conv1d_transpose", "nn.Conv1DTranspose", [4, 3],
     {"strides": 2, "output_padding": 1, "padding": 1}, [2, 3, 5], True),
    ("conv2d_transpose_groups", "nn.Conv2DTranspose", [4, 3],
     {"strides": 2, "padding": 1, "output_padding": 1, "groups": 2, "in_channels": 4},
     [2, 4, 4, 4], True),
    ("conv2d_transpose_dilated", "nn.Conv2DTranspose", [3, [2, 3]],
     {"dilation": 2, "activation": "sigmoid"}, [2, 2, 4, 3], True),
    ("conv3d_transpose", "nn.Conv3DTranspose", [2, 2], {"strides": 2, "use_bias": False},
     [1, 3, 2, 3, 2], True),
    ("maxpool1d_ceil", "nn.MaxPool1D", [3, 2, 1], {"ceil_mode": True}, [2, 3, 8], True),
    ("maxpool1d_nwc", "nn.MaxPool1D", [], {"layout": "NWC"}, [2, 8, 3], True),
    ("maxpool2d", "nn.MaxPool2D", [], {}, [2, 3, 6, 6], True),
    ("maxpool2d_nhwc", "nn.MaxPool2D", [3, 2], {"layout": "NHWC", "padding": 1},
     [2, 7, 7, 3], True),
    ("maxpool3d", "nn.MaxPool3D", [], {"strides": 1}, [1, 2, 3, 4, 3], True),
    ("avgpool1d", "nn.AvgPool1D", [3], {"padding": 1, "count_include_pad": False},
     [2, 3, 8], True),
    ("avgpool2d_pad", "nn.AvgPool2D", [3, 2, 1], {}, [2, 3, 7, 7], True),
    ("avgpool2d_nopad_ceil", "nn.AvgPool2D", [3, 2, 1],
     {"count_include_pad": False, "ceil_mode": True}, [2, 2, 6, 6], True),
    ("avgpool3d_ndhwc", "nn.AvgPool3D", [], {"layout": "NDHWC"}, [1, 4, 4, 4, 2], True),
    ("globalmaxpool1d", "nn.GlobalMaxPool1D", [], {}, [2, 3, 5], True),
    ("globalmaxpool2d", "nn.GlobalMaxPool2D", [], {}, [2, 3, 4, 5], True),
    ("globalmaxpool3d_ndhwc", "nn.GlobalMaxPool3D", [], {"layout": "NDHWC"},
     [1, 2, 3, 3, 2], True),
    ("globalavgpool1d_nwc", "nn.GlobalAvgPool1D", [], {"layout": "NWC"}, [2, 5, 3], True),
    ("globalavgpool2d", "nn.GlobalAvgPool2D", [], {}, [2, 3, 4, 5], True),
    ("globalavgpool3d", "nn.GlobalAvgPool3D", [], {}, [1, 2, 3, 3, 2], True),
    ("reflectionpad2d", "nn.ReflectionPad2D", [2], {}, [2, 3, 4, 5], True),
    ("activation_softrelu", "nn.Activation", ["softrelu"], {}, [2, 5], True),
    ("leakyrelu", "nn.LeakyReLU", [0.1], {}, [2, 5], True),
    ("prelu", "nn.PReLU", [], {}, [2, 5], True),
    ("prelu_channels", "nn.PReLU", [], {"in_channels": 3}, [2, 3, 4], True),
    ("elu", "nn.ELU", [0.5], {}, [2, 5], True),
    ("selu", "nn.SELU", [], {}, [2, 5], True),
    ("gelu", "nn.GELU", [], {}, [2, 5], True),
    ("swish", "nn.Swish", [1.5], {}, [2, 5], True),
    ("dropout", "nn.Dropout", [0.5], {}, [2, 5], False),
    ("dropout_axes", "nn.Dropout", [0.3], {"axes": [1]}, [2, 5], False),
    ("dropout_zero", "nn.Dropout", [0.0], {}, [2, 5], True),
    ("batchnorm", "nn.BatchNorm", [], {}, [4, 3, 2, 2], True),
    ("batchnorm_last_axis", "nn.BatchNorm", [],
     {"axis": -1, "momentum": 0.8, "epsilon": 1e-3, "in_channels": 3}, [4, 2, 3], True),
    ("batchnorm_fixed", "nn.BatchNorm", [], {"center": False, "scale": False}, [4, 3, 2],
     True),
    ("batchnorm_global_stats", "nn.BatchNorm", [], {"use_global_stats": True}, [4, 3, 2],
     True),
    ("batchnormrelu", "nn.BatchNormReLU", [], {}, [4, 3, 2, 2], True),
    ("instancenorm", "nn.InstanceNorm", [], {}, [2, 3, 4], True),
    ("instancenorm_axis2_scale", "nn.InstanceNorm", [], {"axis": 2, "scale": True},
     [2, 3, 4, 2], True),
    ("layernorm", "nn.LayerNorm", [], {}, [2, 3, 4], True),
    ("layernorm_axis1", "nn.LayerNorm", [], {"axis": 1, "center": False}, [2, 3, 4], True),
    ("groupnorm", "nn.GroupNorm", [2], {}, [2, 4, 3], True),
    ("groupnorm_noscale", "nn.GroupNorm", [3], {"scale": False, "epsilon": 1e-3},
     [2, 6, 2, 2], True),
    ("embedding", "nn.Embedding", [10, 4], {}, [2, 3], True),
    ("flatten", "nn.Flatten", [], {}, [2, 3, 2, 2], True),
    ("dense_in_graph", "nn.Dense", [3], {"activation": "relu"}, [2, 4], True),
    ("pixelshuffle1d", "contrib.PixelShuffle1D", [2], {}, [2, 6, 3], True),
    ("pixelshuffle2d", "contrib.PixelShuffle2D", [[2, 3]], {}, [2, 12, 2, 3], True),
    ("pixelshuffle3d", "contrib.PixelShuffle3D", [2], {}, [1, 16, 2, 3, 2], True),
    ("syncbatchnorm", "contrib.SyncBatchNorm", [], {"num_devices": 1}, [4, 3, 2], True),
    ("identity", "contrib.Identity", [], {}, [2, 3], True),
]


def tuples(value):
    if isinstance(value, list):
        return tuple(tuples(v) for v in value)
    return value


def build(cls, args, kwargs):
    module, name = cls.split(".")
    layer = getattr(nn if module == "nn" else contrib_nn, name)
    return layer(*tuples(args), **{k: tuples(v) for k, v in kwargs.items()})


def random_input(name, shape):
    if name == "embedding":
        return rng.randint(0, 10, shape).astype(np.float32)
    return rng.uniform(-1, 1, shape).astype(np.float32)


def set_random_params(net):
    """Replace every parameter by random values (positive for variances and scales)."""
    for key, p in net.collect_params().items():
        if key.endswith(("running_var", "gamma")):
            value = rng.uniform(0.5, 1.5, p.shape)
        else:
            value = rng.uniform(-0.5, 0.5, p.shape)
        p.set_data(mx.nd.array(value))


def graph_nodes(net):
    js = json.loads(net(mx.sym.var("data")).tojson())
    return [[n["op"], n["name"], n.get("attrs", {})] for n in js["nodes"] if n["op"] != "null"]


def layer_case(name, cls, args, kwargs, shape, numeric, arrays, params):
    with mx.name.NameManager():
        net = build(cls, args, kwargs)
        info = {"cls": cls, "args": args, "kwargs": kwargs, "shape": shape, "numeric": numeric,
                "prefix": net.prefix, "repr": repr(net),
                "params": [[k, list(p.shape), p.grad_req]
                           for k, p in net.collect_params().items()]}
        net.initialize()
        x = mx.nd.array(random_input(name, shape))
        if numeric:
            net(x)
        else:  # completes the deferred shapes without running the layer
            net.infer_shape(x)
        info["repr_after"] = repr(net)
        info["shapes_after"] = {k: list(p.shape) for k, p in net.collect_params().items()}
        info["graph"] = graph_nodes(net)
    if not numeric:
        return info
    set_random_params(net)
    structural = net._collect_params_with_prefix()
    for key, p in structural.items():
        params[f"{name}.{key}"] = p.data().copy()
    indices = name == "embedding"  # MXNet gives no gradient for indices
    if not indices:
        x.attach_grad()
    with autograd.record():
        y = net(x)
    dy = rng.uniform(-1, 1, y.shape).astype(np.float32)
    y.backward(mx.nd.array(dy))
    out = {"x": x.asnumpy(), "dy": dy, "y": y.asnumpy(), "y_eval": net(x).asnumpy()}
    if not indices:
        out["dx"] = x.grad.asnumpy()
    for key, p in structural.items():
        out[f"after.{key}"] = p.data().asnumpy()
        if p.grad_req != "null":
            out[f"grad.{key}"] = p.grad().asnumpy()
    arrays.update({f"{name}/{k}": v for k, v in out.items()})
    return info


class LeNet(gluon.HybridBlock):
    """Conv-pool-conv-BN-pool-dense-dense, as in the test file."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(6, 3, padding=1, activation="relu"),
                              nn.MaxPool2D(),
                              nn.Conv2D(8, 3),
                              nn.BatchNorm(),
                              nn.Activation("relu"),
                              nn.AvgPool2D(2, 1))
            self.flat = nn.Flatten()
            self.fc1 = nn.Dense(16, activation="tanh")
            self.fc2 = nn.Dense(4)

    def hybrid_forward(self, F, x):
        return self.fc2(self.fc1(self.flat(self.features(x))))


class ResBlock(gluon.HybridBlock):
    """A ResNet v1 basic block with a strided 1x1 projection, then global pooling."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(channels, 3, strides=2, padding=1, use_bias=False),
                          nn.BatchNorm(), nn.Activation("relu"),
                          nn.Conv2D(channels, 3, padding=1, use_bias=False), nn.BatchNorm())
            self.down = nn.HybridSequential()
            self.down.add(nn.Conv2D(channels, 1, strides=2, use_bias=False), nn.BatchNorm())
            self.pool = nn.GlobalAvgPool2D()
            self.out = nn.Dense(3)

    def hybrid_forward(self, F, x):
        y = F.Activation(self.body(x) + self.down(x), act_type="relu")
        return self.out(self.pool(y))


def train_net(key, net, x_shape, classes, arrays):
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(rng.uniform(-1, 1, x_shape).astype(np.float32))
    label = mx.nd.array(rng.randint(0, classes, x_shape[0]).astype(np.float32))
    net(x)
    set_random_params(net)
    net.save_parameters(os.path.join(OUT, f"{key}.params"))
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.1, "momentum": 0.9})
    losses = []
    for _ in range(3):
        with autograd.record():
            loss = -mx.nd.pick(mx.nd.log_softmax(net(x)), label)
        loss.backward()
        trainer.step(x_shape[0])
        losses.append(float(loss.sum().asscalar()))
    arrays[f"{key}/x"] = x.asnumpy()
    arrays[f"{key}/label"] = label.asnumpy()
    arrays[f"{key}/losses"] = np.array(losses)
    arrays[f"{key}/y_eval"] = net(x).asnumpy()
    for name, p in net._collect_params_with_prefix().items():
        arrays[f"{key}/after.{name}"] = p.data().asnumpy()


def main():
    os.makedirs(OUT, exist_ok=True)
    mx.random.seed(0)
    info, arrays, params = {}, {}, {}
    for name, cls, args, kwargs, shape, numeric in CASES:
        info[name] = layer_case(name, cls, args, kwargs, shape, numeric, arrays, params)
    with open(os.path.join(OUT, "layers.json"), "w") as f:
        json.dump(info, f, indent=0, sort_keys=True)
    mx.nd.save(os.path.join(OUT, "layers.params"), params)
    np.savez_compressed(os.path.join(OUT, "layers.npz"), **arrays)

    nets = {}
    with mx.name.NameManager():
        train_net("lenet", LeNet(), (4, 1, 10, 10), 4, nets)
        train_net("resblock", ResBlock(4), (4, 3, 6, 6), 3, nets)
    np.savez_compressed(os.path.join(OUT, "nets.npz"), **nets)


if __name__ == "__main__":
    main()
