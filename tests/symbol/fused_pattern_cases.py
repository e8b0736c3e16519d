"""Graphs around the post-ops MXNet 1.9.1's oneDNN partitioner folds into
``_sg_mkldnn_conv`` / ``_sg_mkldnn_fully_connected`` (clip, LeakyReLU, the
unary operators after an inner product, a sum followed by them, ``y + y``)
and some it leaves alone. Shared by tests/symbol/test_fused_patterns.py and
tools/make_fixtures_fused_patterns.py (which records MXNet's JSON of each).

``build(F, arg, name)`` builds case ``name`` with ``F`` = ``mx.sym`` (``arg``
gives variables) or ``mx.nd`` (``arg`` gives arrays), every node named, so
the JSON does not depend on name counters.
"""

DATA_SHAPE = (2, 8, 6, 6)
ZOO_MODELS = ("mobilenetv2_1.0", "mobilenet1.0")


def _conv(F, arg, x):
    return F.Convolution(x, arg("conv_weight"), arg("conv_bias"), kernel=(3, 3), pad=(1, 1),
                         num_filter=8, name="conv")


def _bn(F, arg, x):
    return F.BatchNorm(x, arg("bn_gamma"), arg("bn_beta"), arg("bn_moving_mean"),
                       arg("bn_moving_var"), fix_gamma=False, name="bn")


def _fc(F, arg, x):
    return F.FullyConnected(x, arg("fc_weight"), arg("fc_bias"), num_hidden=8, name="fc")


def _leaky(kind, slope=0.25):
    return lambda F, x: F.LeakyReLU(x, act_type=kind, slope=slope, name="act")


def _clip(a_min, a_max):
    return lambda F, x: F.clip(x, a_min, a_max, name="act")


def _unary(op_name):
    return lambda F, x: getattr(F, op_name)(x, name="act")


def _relu(F, x):
    return F.Activation(x, act_type="relu", name="act")


# name -> (base, post-op, residual sum?, folded by MXNet?)
_CASES = {
    "conv_clip": ("conv", _clip(0.0, 6.0), False, True),
    "conv_bn_clip": ("conv_bn", _clip(0.0, 2.0), False, True),
    "conv_clip_from_one": ("conv", _clip(1.0, 6.0), False, False),
    "conv_clip_empty": ("conv", _clip(0.0, -1.0), False, True),
    "conv_leaky": ("conv", _leaky("leaky", 0.1), False, True),
    "conv_gelu": ("conv", _leaky("gelu"), False, True),
    "conv_elu": ("conv", _leaky("elu", 0.3), False, False),
    "conv_square": ("conv", _unary("square"), False, False),
    "fc_clip": ("fc", _clip(0.0, 6.0), False, True),
    "fc_clip_from_minus_one": ("fc", _clip(-1.0, 2.0), False, False),
    "fc_leaky": ("fc", _leaky("leaky", 0.1), False, True),
    "fc_elu": ("fc", _leaky("elu", 0.3), False, True),
    "fc_gelu": ("fc", _leaky("gelu"), False, True),
    "fc_square": ("fc", _unary("square"), False, True),
    "fc_sqrt": ("fc", _unary("sqrt"), False, True),
    "fc_abs": ("fc", _unary("abs"), False, True),
    "fc_exp": ("fc", _unary("exp"), False, True),
    "conv_sum_clip": ("conv", _clip(0.0, 6.0), True, True),
    "conv_sum_clip_from_minus_one": ("conv", _clip(-1.0, 6.0), True, False),
    "conv_bn_sum_leaky": ("conv_bn", _leaky("leaky", 0.2), True, True),
    "conv_sum_gelu": ("conv", _leaky("gelu"), True, True),
    "conv_sum_elu": ("conv", _leaky("elu"), True, False),
    "conv_self_add": ("conv", None, "self", True),
    "conv_bn_self_add_relu": ("conv_bn", _relu, "self", True),
}
CASES = tuple(_CASES)
# MXNet 1.9.1 writes the inputs of a fused ``y + y`` out of order (its own
# executor then fails to bind the file): those are written unfused here.
SELF_SUM = tuple(name for name, case in _CASES.items() if case[2] == "self")


def folded(name):
    """Whether MXNet folds the post-op of case ``name`` into the fused node."""
    return _CASES[name][3]


def build(F, arg, name):
    base, post, residual, _ = _CASES[name]
    x = arg("data")
    y = _fc(F, arg, x) if base == "fc" else _conv(F, arg, x)
    if base == "conv_bn":
        y = _bn(F, arg, y)
    if residual == "self":
        y = F.elemwise_add(y, y, name="add")
    elif residual:
        y = F.elemwise_add(y, arg("res"), name="add")
    return y if post is None else post(F, y)


def optimized_model(mx, name):
    """Model-zoo network ``name`` (fixed prefix) called on a variable,
    optimized for MKLDNN."""
    from mxnet.gluon.model_zoo import vision
    net = vision.get_model(name, prefix="net_")
    return net(mx.sym.var("data")).optimize_for("MKLDNN")
