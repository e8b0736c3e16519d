"""A zoo of symbol graphs, built the same way by the fixture script (under
MXNet 1.9.1) and by the tests (under MXNext).

``ZOO`` maps a case name to a function ``build(mx) -> dict`` with:

* ``symbol``: the graph;
* ``shapes``: input shapes for ``infer_shape`` and ``simple_bind``;
* ``types`` (optional): input dtypes for ``infer_type``;
* ``labels`` (optional): {input name: number of classes} for integer labels;
* ``run`` (default True): whether outputs and gradients are compared (False
  for graphs with random ops).

Each builder runs inside a fresh ``NameManager``, so automatic names do not
depend on what was built before. Only ``mx.sym``, ``mx.name`` and ``mx.AttrScope``
are used, so the code runs unchanged under both libraries.
"""
import json
import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "symbol")
LEGACY_DIR = os.path.join(FIXTURES, "legacy")


def _mlp(mx):
    data = mx.sym.var("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=8, name="fc1")
    act = mx.sym.Activation(fc1, act_type="relu")
    fc2 = mx.sym.FullyConnected(act, num_hidden=4)
    out = mx.sym.SoftmaxOutput(fc2, name="softmax")
    return dict(symbol=out, shapes={"data": (5, 6)}, labels={"softmax_label": 4})


def _lenet(mx):
    data = mx.sym.var("data")
    c1 = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="conv1")
    a1 = mx.sym.Activation(c1, act_type="tanh")
    p1 = mx.sym.Pooling(a1, pool_type="max", kernel=(2, 2), stride=(2, 2))
    c2 = mx.sym.Convolution(p1, kernel=(2, 2), num_filter=6, pad=(1, 1))
    a2 = mx.sym.Activation(c2, act_type="relu")
    p2 = mx.sym.Pooling(a2, pool_type="avg", kernel=(2, 2), stride=(2, 2))
    flat = mx.sym.Flatten(p2)
    fc = mx.sym.FullyConnected(flat, num_hidden=5)
    out = mx.sym.SoftmaxOutput(fc, name="softmax")
    return dict(symbol=out, shapes={"data": (2, 1, 10, 10)}, labels={"softmax_label": 5})


def _resnet_block(mx):
    data = mx.sym.var("data")
    bn1 = mx.sym.BatchNorm(data, fix_gamma=False, eps=2e-5, momentum=0.9, name="bn1")
    r1 = mx.sym.Activation(bn1, act_type="relu", name="relu1")
    c1 = mx.sym.Convolution(r1, kernel=(3, 3), pad=(1, 1), num_filter=3, no_bias=True,
                            name="conv1")
    bn2 = mx.sym.BatchNorm(c1, name="bn2")
    r2 = mx.sym.Activation(bn2, act_type="relu", name="relu2")
    c2 = mx.sym.Convolution(r2, kernel=(3, 3), pad=(1, 1), num_filter=3, no_bias=True,
                            name="conv2")
    out = c2 + data
    return dict(symbol=out, shapes={"data": (2, 3, 5, 5)})


def _lstm(mx):
    """Two unrolled steps of an LSTM cell with shared weights."""
    num_hidden = 3
    i2h_w, i2h_b = mx.sym.var("i2h_weight"), mx.sym.var("i2h_bias")
    h2h_w, h2h_b = mx.sym.var("h2h_weight"), mx.sym.var("h2h_bias")
    h, c = mx.sym.var("h0"), mx.sym.var("c0")
    outputs = []
    for t in range(2):
        x = mx.sym.var(f"x{t}")
        i2h = mx.sym.FullyConnected(x, weight=i2h_w, bias=i2h_b, num_hidden=4 * num_hidden,
                                    name=f"t{t}_i2h")
        h2h = mx.sym.FullyConnected(h, weight=h2h_w, bias=h2h_b, num_hidden=4 * num_hidden,
                                    name=f"t{t}_h2h")
        gates = mx.sym.SliceChannel(i2h + h2h, num_outputs=4, name=f"t{t}_slice")
        in_gate = mx.sym.Activation(gates[0], act_type="sigmoid")
        forget_gate = mx.sym.Activation(gates[1], act_type="sigmoid")
        in_transform = mx.sym.Activation(gates[2], act_type="tanh")
        out_gate = mx.sym.Activation(gates[3], act_type="sigmoid")
        c = forget_gate * c + in_gate * in_transform
        h = out_gate * mx.sym.Activation(c, act_type="tanh")
        outputs.append(h)
    out = mx.sym.Group(outputs + [c])
    shapes = {"x0": (2, 5), "x1": (2, 5), "h0": (2, num_hidden), "c0": (2, num_hidden)}
    return dict(symbol=out, shapes=shapes)


def _group(mx):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=6, name="fc")
    parts = mx.sym.SliceChannel(fc, num_outputs=3, axis=1, name="split")
    prob = mx.sym.softmax(parts[1], axis=-1)
    total = mx.sym.sum(parts[2], axis=1, keepdims=True)
    out = mx.sym.Group([fc, parts[0], prob, total, mx.sym.BlockGrad(parts[2])])
    return dict(symbol=out, shapes={"data": (3, 4)})


# What mx.init.Xavier(magnitude=2).dumps() gives; var() accepts the string as well.
XAVIER = '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 2}]'


def _var_attrs(mx):
    x = mx.sym.var("x", shape=(2, 3), dtype="float64", lr_mult=0.1, wd_mult=0,
                   init=XAVIER, attr={"mood": "happy"})
    with mx.AttrScope(ctx_group="dev1", __tag__="outer"):
        w = mx.sym.var("w", __myattr__="3")
        with mx.AttrScope(__tag__="inner"):
            y = mx.sym.broadcast_mul(x, w, name="scale")
        z = mx.sym.FullyConnected(y, num_hidden=2, attr={"__tag__": "fc"}, name="fc")
    out = mx.sym.sum(z * z, name="total")
    return dict(symbol=out, shapes={"x": (2, 3), "w": (1, 3)},
                types={"x": "float64", "w": "float64"})


def _naming(mx):
    data = mx.sym.var("data")
    with mx.name.Prefix("net_"):
        a = mx.sym.FullyConnected(data, num_hidden=4)
        b = mx.sym.Activation(a, act_type="relu", name="act")
    c = mx.sym.FullyConnected(b, num_hidden=4)
    with mx.name.Prefix("inner_"):  # a fresh counter: inner_fullyconnected0
        d = mx.sym.FullyConnected(c, num_hidden=2)
    e = mx.sym.FullyConnected(d, num_hidden=2)
    return dict(symbol=e, shapes={"data": (2, 3)})


def _duplicate_names(mx):
    """A nested NameManager restarts the count, so two nodes share a name."""
    data = mx.sym.var("data")
    a = mx.sym.FullyConnected(data, num_hidden=4)
    with mx.name.NameManager():
        b = mx.sym.FullyConnected(a, num_hidden=2)
    return dict(symbol=b, shapes={"data": (2, 3)}, run=False)


def _scalars(mx):
    x, y = mx.sym.var("x"), mx.sym.var("y")
    terms = [2 + x, x + 2.5, x - 3, 3 - x, x * 2, 2 * x, x / 2, 2 / (x * x + 1), x ** 2,
             2 ** x, -x, abs(x), x + y, x - y, x * y, x / (y * y + 1), mx.sym.maximum(x, 0.5),
             mx.sym.minimum(2, x), mx.sym.pow(x, 3), mx.sym.maximum(x, y), x % 1.5,
             x > 0.2, 1 > x, x == y, x != 2, x >= y, x <= 0.5, x < y]
    return dict(symbol=mx.sym.Group(terms), shapes={"x": (3, 4), "y": (3, 4)})


def _hidden_outputs(mx):
    data = mx.sym.var("data")
    bn = mx.sym.BatchNorm(data, output_mean_var=True, fix_gamma=False, name="bn")
    ln = mx.sym.LayerNorm(bn[0], name="ln")
    top = mx.sym.topk(ln, k=2, ret_typ="both", axis=-1, name="top")
    out = mx.sym.Group([ln, bn[1], bn[2], top[0]])
    return dict(symbol=out, shapes={"data": (4, 3)})


def _dropout(mx):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    drop = mx.sym.Dropout(fc, p=0.5, name="drop")
    out = mx.sym.LinearRegressionOutput(drop, name="lro")
    return dict(symbol=out, shapes={"data": (2, 4)}, run=False)


def _wide(mx):
    """More than ten inputs and heads (MXNet's JSON then writes one per line),
    variables as outputs, and a name and attribute needing escapes."""
    xs = [mx.sym.var(f"x{i}") for i in range(11)]
    cat = mx.sym.Concat(*xs, dim=1, name="cat")
    odd = mx.sym.var("odd\u00e9", attr={"__note__": 'say "hi"\tback\\slash\nline'})
    shapes = {f"x{i}": (2, 1) for i in range(11)}
    shapes["odd\u00e9"] = (2, 11)
    return dict(symbol=mx.sym.Group([cat * odd] + xs[:10]), shapes=shapes)


ZOO = {"mlp": _mlp, "lenet": _lenet, "resnet_block": _resnet_block, "lstm": _lstm,
       "group": _group, "var_attrs": _var_attrs, "naming": _naming,
       "duplicate_names": _duplicate_names, "scalars": _scalars,
       "hidden_outputs": _hidden_outputs, "dropout": _dropout,
       "wide": _wide}

# Operators each case needs (so tests can skip while an operator is missing).
NEEDS = {"mlp": ["FullyConnected", "Activation", "SoftmaxOutput"],
         "lenet": ["Convolution", "Activation", "Pooling", "Flatten", "FullyConnected",
                   "SoftmaxOutput"],
         "resnet_block": ["BatchNorm", "Activation", "Convolution"],
         "lstm": ["FullyConnected", "SliceChannel", "Activation"],
         "group": ["FullyConnected", "SliceChannel", "softmax", "sum", "BlockGrad"],
         "var_attrs": ["broadcast_mul", "FullyConnected", "sum"],
         "naming": ["FullyConnected", "Activation"],
         "duplicate_names": ["FullyConnected"],
         "scalars": [],
         "hidden_outputs": ["BatchNorm", "LayerNorm", "topk"],
         "dropout": ["FullyConnected", "Dropout", "LinearRegressionOutput"],
         "wide": ["Concat"],
         "legacy_v08_mlp": ["FullyConnected", "BatchNorm", "Activation", "SoftmaxOutput"],
         "legacy_v09_lenet": ["Convolution", "LeakyReLU", "Pooling", "Flatten",
                              "FullyConnected", "SoftmaxOutput"]}


# Hand-written files in MXNet 0.8/0.9 layouts (in LEGACY_DIR), with their inputs.
LEGACY = {"v08_mlp": dict(shapes={"data": (2, 3)}, labels={"softmax_label": 4}),
          "v09_lenet": dict(shapes={"data": (2, 1, 6, 6)}, labels={"softmax_label": 3})}


def build(mx, name):
    """Build zoo case ``name`` in a fresh NameManager."""
    with mx.name.NameManager():
        return ZOO[name](mx)


def missing_ops(name):
    """Operators case ``name`` needs that are not registered here (yet)."""
    from mxnet.ops import registry
    return [op for op in NEEDS[name] if registry.find(op) is None]


def load_fixtures():
    """(metadata by case, arrays) written by tools/make_fixtures_symbol.py."""
    import numpy as np
    with open(os.path.join(FIXTURES, "zoo.json")) as f:
        meta = json.load(f)
    return meta, np.load(os.path.join(FIXTURES, "zoo.npz"))


