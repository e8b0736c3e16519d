"""mx.contrib.onnx.export_model: each exported operator, run by onnxruntime,
gives MXNext's own result; zoo models export, pass the ONNX checker and match."""
import subprocess
import sys

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from mxnet.contrib import onnx as onnx_mx  # noqa: E402

S = mx.sym


def _random_params(sym, shapes, rng):
    """Random values for every argument and aux state that is not an input."""
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    params = {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name not in shapes:
            params[name] = rng.uniform(-1, 1, shape).astype(np.float32)
    for name, shape in zip(sym.list_auxiliary_states(), aux_shapes):
        # Variances must be positive; means anything.
        low = 0.5 if name.endswith("var") else -1
        params[name] = rng.uniform(low, 1.5, shape).astype(np.float32)
    return params


def _mx_forward(sym, inputs, params):
    args = {k: mx.nd.array(v, dtype=v.dtype) for k, v in inputs.items()}
    aux_names = set(sym.list_auxiliary_states())
    aux = {k: mx.nd.array(v) for k, v in params.items() if k in aux_names}
    args.update({k: mx.nd.array(v) for k, v in params.items() if k not in aux_names})
    ex = sym.bind(mx.cpu(), args=args, aux_states=aux, grad_req="null")
    ex.forward(is_train=False)
    return [o.asnumpy() for o in ex.outputs]


def _ort_run(path, inputs):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, inputs)


def check_export(sym, inputs, tmp_path, params=None, rtol=1e-4, atol=1e-5, **kwargs):
    """Export ``sym``; onnxruntime's outputs must equal MXNext's."""
    rng = np.random.default_rng(0)
    shapes = {k: v.shape for k, v in inputs.items()}
    if params is None:
        params = _random_params(sym, shapes, rng)
    expected = _mx_forward(sym, inputs, params)
    path = onnx_mx.export_model(sym, params, list(shapes.values()),
                                [v.dtype for v in inputs.values()],
                                str(tmp_path / "model.onnx"), **kwargs)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    got = _ort_run(path, inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    return model


def _x(*shape, low=-2.0, high=2.0, seed=1):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


D = S.var("data")

# (id, symbol, input shape[, input value range])
CASES = [
    ("conv2d", S.Convolution(D, kernel=(3, 3), pad=(1, 1), stride=(2, 2), num_filter=4),
     (2, 3, 9, 9)),
    ("conv_group_dilate", S.Convolution(D, kernel=(3, 3), dilate=(2, 2), num_group=2,
                                        num_filter=4, no_bias=True), (1, 4, 9, 9)),
    ("conv1d", S.Convolution(D, kernel=(3,), num_filter=2), (2, 3, 8)),
    ("deconv", S.Deconvolution(D, kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1),
                               num_filter=3), (1, 2, 5, 5)),
    ("deconv_target", S.Deconvolution(D, kernel=(4, 4), stride=(2, 2), num_filter=2,
                                      target_shape=(9, 9)), (1, 2, 5, 5)),
    ("fc_flatten", S.FullyConnected(D, num_hidden=5), (2, 3, 2, 2)),
    ("fc_no_bias", S.FullyConnected(D, num_hidden=5, no_bias=True), (2, 6)),
    ("fc_no_flatten", S.FullyConnected(D, num_hidden=5, flatten=False), (2, 3, 4)),
    ("bn_fix_gamma", S.BatchNorm(D, eps=1e-3), (2, 3, 4, 4)),
    ("bn", S.BatchNorm(D, fix_gamma=False, use_global_stats=True, eps=2e-5), (2, 3, 4, 4)),
    ("instance_norm", S.InstanceNorm(D, eps=1e-4), (2, 3, 4, 4)),
    ("layer_norm", S.LayerNorm(D), (2, 3, 4)),
    ("layer_norm_axis1", S.LayerNorm(D, axis=1), (2, 3, 4)),
    ("l2norm_instance", S.L2Normalization(D), (2, 3, 4)),
    ("l2norm_channel", S.L2Normalization(D, mode="channel"), (2, 3, 4)),
    ("l2norm_spatial", S.L2Normalization(D, mode="spatial"), (2, 3, 4, 2)),
    ("lrn", S.LRN(D, nsize=3, alpha=0.01, beta=0.6, knorm=1.5), (1, 5, 3, 3)),
    ("upsampling", S.UpSampling(D, scale=2, sample_type="nearest", num_args=1), (1, 2, 3, 3)),
    ("bilinear_align", S.contrib.BilinearResize2D(D, height=7, width=5), (1, 2, 3, 4)),
    ("bilinear_half_pixel", S.contrib.BilinearResize2D(D, height=6, width=8,
                                                       align_corners=False), (1, 2, 3, 4)),
    ("embedding", S.Embedding(D, input_dim=6, output_dim=3), (2, 4), (0, 5.9)),
    ("softmax", S.softmax(D, axis=1), (2, 3, 4)),
    ("softmax_temperature", S.softmax(D, temperature=2.0), (2, 5)),
    ("log_softmax", S.log_softmax(D), (2, 5)),
    ("softmax_output", S.SoftmaxOutput(D), (2, 5)),
    ("softmax_output_4d", S.SoftmaxOutput(D), (2, 3, 2, 2)),
    ("softmax_output_multi", S.SoftmaxOutput(D, multi_output=True), (2, 3, 4)),
    ("dropout", S.Dropout(D, p=0.5), (2, 3)),
    ("pad_constant", S.pad(D, mode="constant", pad_width=(0, 0, 0, 0, 1, 2, 2, 1),
                           constant_value=0.5), (1, 2, 3, 3)),
    ("pad_edge", S.pad(D, mode="edge", pad_width=(0, 0, 0, 0, 1, 1, 2, 2)), (1, 2, 3, 3)),
    ("pad_reflect", S.pad(D, mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 2, 2)), (1, 2, 3, 3)),
]

for _kind in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
    CASES.append((f"act_{_kind}", S.Activation(D, act_type=_kind), (2, 5)))
for _kind, _extra in (("leaky", {"slope": 0.2}), ("elu", {"slope": 0.7}), ("selu", {}),
                      ("gelu", {}), ("prelu", {}), ("rrelu", {})):
    # [0]: rrelu also outputs its mask
    CASES.append((f"leaky_{_kind}", S.LeakyReLU(D, act_type=_kind, **_extra)[0], (2, 3, 4)))

_POOLS = [
    ("max", dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ("avg", dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ("avg", dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), count_include_pad=False)),
    ("max", dict(kernel=(3, 3), stride=(2, 2), pooling_convention="full")),
    ("avg", dict(kernel=(2, 2), stride=(2, 2), pooling_convention="full")),
    ("sum", dict(kernel=(2, 2), stride=(1, 1))),
    ("sum", dict(kernel=(3, 3), stride=(2, 2), pooling_convention="full")),
    ("sum", dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full")),
    ("avg", dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full")),
    ("avg", dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full",
                 count_include_pad=False)),
    ("lp", dict(kernel=(2, 2), stride=(1, 1), p_value=2)),
    ("max", dict(kernel=(1, 1), global_pool=True)),
    ("avg", dict(kernel=(1, 1), global_pool=True)),
    ("sum", dict(kernel=(1, 1), global_pool=True)),
]
for _i, (_type, _kw) in enumerate(_POOLS):
    CASES.append((f"pool_{_type}_{_i}", S.Pooling(D, pool_type=_type, **_kw), (2, 3, 8, 8)))


def _case_inputs(shape, value_range=(-2.0, 2.0)):
    return {"data": _x(*shape, low=value_range[0], high=value_range[1])}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_exported_layer_matches_mxnet(case, tmp_path):
    _, sym, shape, *value_range = case
    check_export(sym, _case_inputs(shape, *value_range), tmp_path)


# (id, symbol, input shape)
TENSOR_CASES = [
    ("flatten", S.flatten(D), (2, 3, 4)),
    ("reshape_codes", S.reshape(D, shape=(0, -1)), (2, 3, 4)),
    ("reshape_merge", S.reshape(D, shape=(-3, -2)), (2, 3, 4, 5)),
    ("reshape_split", S.reshape(D, shape=(0, -4, 2, -1, 0)), (2, 6, 5)),
    ("reshape_reverse", S.reshape(D, shape=(-1, 0), reverse=True), (2, 3, 4)),
    ("transpose", S.transpose(D), (2, 3, 4)),
    ("transpose_axes", S.transpose(D, axes=(0, 2, 1)), (2, 3, 4)),
    ("expand_dims", S.expand_dims(D, axis=-1), (2, 3)),
    ("squeeze_all", S.squeeze(D), (2, 1, 3, 1)),
    ("squeeze_axis", S.squeeze(D, axis=1), (2, 1, 3, 1)),
    ("clip_relu6", S.clip(D, 0, 6), (2, 5)),
    ("slice", S.slice(D, begin=(None, 1), end=(None, 3)), (2, 4)),
    ("slice_step", S.slice(D, begin=(0, None), end=(2, None), step=(1, -2)), (3, 5)),
    ("slice_axis", S.slice_axis(D, axis=-1, begin=1, end=None), (2, 4)),
    ("sum", S.sum(D, axis=1), (2, 3, 4)),
    ("sum_all", S.sum(D), (2, 3)),
    ("mean_keep", S.mean(D, axis=(1, 2), keepdims=True), (2, 3, 4)),
    ("mean_exclude", S.mean(D, axis=1, exclude=True), (2, 3, 4)),
    ("max", S.max(D, axis=0), (2, 3)),
    ("min", S.min(D, axis=-1), (2, 3)),
    ("prod", S.prod(D, axis=1), (2, 3)),
    ("cast", S.cast(D, dtype="float16"), (2, 3)),
    ("zeros_like", S.zeros_like(D), (2, 3)),
    ("ones_like", S.ones_like(D) + D, (2, 3)),
    ("broadcast_to", S.broadcast_to(D, shape=(2, 3, 4)), (2, 1, 4)),
    ("square_sqrt", S.sqrt(S.square(D) + 1), (2, 3)),
    ("unary_chain", S.exp(S.abs(S.negative(S.reciprocal(S.sin(D) + 3)))), (2, 3)),
    ("scalars", ((1 - D) * 2 + 3) / 4 - 5, (2, 3)),
    ("rscalars", 2 / (D + 3) + 2 ** D - D ** 2, (2, 3)),
    ("scalar_minmax", S.maximum(S.minimum(D, 1.0), -1.0), (2, 3)),
    ("split", S.split(D, num_outputs=2, axis=1)[1], (2, 4)),
    ("split_squeeze", S.Group(list(S.split(D, num_outputs=3, axis=1, squeeze_axis=True))),
     (2, 3, 4)),
    ("add_n_stack", S.stack(S.add_n(D, D, D), D, axis=1), (2, 3)),
    ("concat", S.concat(D, D * 2, dim=1), (2, 3)),
]


@pytest.mark.parametrize("case", TENSOR_CASES, ids=[c[0] for c in TENSOR_CASES])
def test_exported_tensor_op_matches_mxnet(case, tmp_path):
    _, sym, shape = case
    check_export(sym, _case_inputs(shape), tmp_path)


def test_binary_ops_elementwise_and_broadcast(tmp_path):
    a, b, c = S.var("a"), S.var("b"), S.var("c")
    sym = S.Group([a + b, a - b, a * b, a / b, S.maximum(a, b), S.minimum(a, b),
                   S.broadcast_add(a, c), S.broadcast_div(a, c),
                   S.broadcast_power(S.abs(a), c)])
    inputs = {"a": _x(2, 3), "b": _x(2, 3, low=0.5, seed=2), "c": _x(1, 3, low=0.5, seed=3)}
    check_export(sym, inputs, tmp_path)


def test_products(tmp_path):
    a, b = S.var("a"), S.var("b")
    sym = S.Group([S.dot(a, b), S.dot(a, b, transpose_a=True, transpose_b=True)])
    check_export(sym, {"a": _x(3, 3), "b": _x(3, 3, seed=2)}, tmp_path)
    nd_dot = S.dot(a, b)  # contracts a's last axis with b's first, b of rank 3
    check_export(nd_dot, {"a": _x(2, 3), "b": _x(3, 2, 4, seed=2)}, tmp_path)
    batched = S.Group([S.batch_dot(a, b), S.batch_dot(a, b, transpose_a=True, transpose_b=True)])
    check_export(batched, {"a": _x(2, 3, 3), "b": _x(2, 3, 3, seed=2)}, tmp_path)


def test_mlp_with_softmax_output_and_label(tmp_path):
    net = S.FullyConnected(D, num_hidden=16, name="fc1")
    net = S.Activation(net, act_type="relu")
    net = S.FullyConnected(net, num_hidden=4, name="fc2")
    net = S.SoftmaxOutput(net, name="softmax")
    inputs = {"data": _x(3, 10)}
    params = _random_params(net, {"data": (3, 10), "softmax_label": (3,)},
                            np.random.default_rng(0))
    rng = np.random.default_rng(0)
    params = {k: v for k, v in params.items() if k != "softmax_label"}
    w = {k: rng.uniform(-1, 1, v.shape).astype(np.float32) for k, v in params.items()}
    expected = _mx_forward(net, dict(inputs, softmax_label=np.zeros(3, np.float32)), w)[0]
    path = onnx_mx.export_model(net, w, [(3, 10)], np.float32, str(tmp_path / "mlp.onnx"))
    model = onnx.load(path)
    assert [i.name for i in model.graph.input] == ["data"]  # the label is not an input
    np.testing.assert_allclose(_ort_run(path, inputs)[0], expected, rtol=1e-5, atol=1e-6)


def test_files_prefixes_and_return_value(tmp_path):
    sym = S.FullyConnected(S.BatchNorm(D, name="bn"), num_hidden=3, name="fc")
    rng = np.random.default_rng(0)
    params = _random_params(sym, {"data": (2, 4)}, rng)
    aux = set(sym.list_auxiliary_states())
    saved = {("aux:" if k in aux else "arg:") + k: mx.nd.array(v) for k, v in params.items()}
    mx.nd.save(str(tmp_path / "m-0000.params"), saved)
    sym.save(str(tmp_path / "m-symbol.json"))
    out = str(tmp_path / "m.onnx")
    assert onnx_mx.export_model(str(tmp_path / "m-symbol.json"), str(tmp_path / "m-0000.params"),
                                input_shape=[(2, 4)], onnx_file_path=out) == out
    inputs = {"data": _x(2, 4)}
    np.testing.assert_allclose(_ort_run(out, inputs)[0], _mx_forward(sym, inputs, params)[0],
                               rtol=1e-5, atol=1e-6)
    model = onnx.load(out)
    assert model.opset_import[0].version == 13
    assert {i.name for i in model.graph.initializer} >= {"fc_weight", "bn_moving_var"}


def test_dynamic_batch(tmp_path):
    sym = S.FullyConnected(S.reshape(S.Convolution(D, kernel=(3, 3), num_filter=2),
                                     shape=(0, -1)), num_hidden=3)
    params = _random_params(sym, {"data": (2, 1, 5, 5)}, np.random.default_rng(0))
    path = onnx_mx.export_model(sym, params, [(2, 1, 5, 5)], np.float32,
                                str(tmp_path / "d.onnx"), dynamic=True)
    model = onnx.load(path)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    inputs = {"data": _x(5, 1, 5, 5)}
    np.testing.assert_allclose(_ort_run(path, inputs)[0], _mx_forward(sym, inputs, params)[0],
                               rtol=1e-5, atol=1e-5)


def test_errors_name_the_problem(tmp_path):
    path = str(tmp_path / "e.onnx")
    with pytest.raises(MXNetError, match="_linalg_inverse.*get_operator_support"):
        onnx_mx.export_model(S.linalg.inverse(D), {}, [(2, 2)], onnx_file_path=path)
    with pytest.raises(MXNetError, match="in_shapes"):
        onnx_mx.export_model(D * 2, {}, [(2, 3), (2, 3)], onnx_file_path=path)
    with pytest.raises(MXNetError, match="in_shapes"):
        onnx_mx.export_model(D * 2, {}, onnx_file_path=path)
    with pytest.raises(MXNetError, match="params"):
        onnx_mx.export_model(D * 2, [1, 2], [(2, 3)], onnx_file_path=path)
    with pytest.raises(MXNetError, match="lp pooling"):
        lp = S.Pooling(D, kernel=(3, 3), stride=(2, 2), pool_type="lp", p_value=2,
                       pooling_convention="full")
        onnx_mx.export_model(lp, {}, [(1, 1, 8, 8)], onnx_file_path=path)
    with pytest.raises(MXNetError, match="nearest sampling of 2 inputs"):
        up = S.UpSampling(D, S.var("e"), scale=2, sample_type="nearest", num_args=2)
        onnx_mx.export_model(up, {}, [(1, 2, 4, 4), (1, 2, 2, 2)], onnx_file_path=path)


def test_reading_an_output_the_translation_leaves_out_raises(tmp_path):
    norm = S.LayerNorm(D, S.var("g"), S.var("b"), output_mean_var=True)
    params = {"g": np.ones(3, np.float32), "b": np.zeros(3, np.float32)}
    with pytest.raises(MXNetError, match="reads output 1 of node"):
        onnx_mx.export_model(norm[1] + 1, params, [(2, 3)],
                             onnx_file_path=str(tmp_path / "m.onnx"))
    with pytest.raises(MXNetError, match="output 1 of node"):
        onnx_mx.export_model(S.LeakyReLU(D, act_type="rrelu"), {}, [(2, 3)],
                             onnx_file_path=str(tmp_path / "m.onnx"))


def test_missing_onnx_raises_an_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ImportError, match="pip install onnx") as info:
        onnx_mx.export_model(D, {}, [(1,)])
    assert isinstance(info.value, MXNetError)
    with pytest.raises(ImportError, match="onnx"):
        onnx_mx.import_model("model.onnx")


def test_importing_mxnet_does_not_import_onnx():
    code = ("import sys, mxnet as mx; mx.contrib.onnx.export_model; "
            "print('onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def _randomise(net, seed=0):
    """Random weights everywhere, with BatchNorm statistics that matter."""
    rng = np.random.default_rng(seed)
    for name, param in net.collect_params().items():
        shape = param.shape
        if name.endswith(("running_var", "gamma")):
            value = rng.uniform(0.5, 1.5, shape)
        elif name.endswith(("running_mean", "beta", "bias")):
            value = rng.uniform(-0.2, 0.2, shape)
        else:
            fan_in = int(np.prod(shape[1:])) or 1
            value = rng.normal(0, (2.0 / fan_in) ** 0.5, shape)
        param.set_data(mx.nd.array(value.astype(np.float32)))


ZOO = [("resnet18_v1", 32), ("resnet18_v2", 32), ("mobilenet0.25", 32),
       ("mobilenetv2_0.25", 32), ("squeezenet1.1", 224), ("vgg11_bn", 32), ("alexnet", 64)]


@pytest.mark.parametrize("name,size", ZOO, ids=[z[0] for z in ZOO])
def test_model_zoo_exports_and_matches(name, size, tmp_path):
    net = mx.gluon.model_zoo.vision.get_model(name, pretrained=False, classes=10)
    net.initialize()
    x = _x(2, 3, size, size, low=0, high=1)
    net(mx.nd.array(x))
    _randomise(net)
    net.hybridize()
    expected = net(mx.nd.array(x)).asnumpy()
    net.export(str(tmp_path / name))
    path = onnx_mx.export_model(str(tmp_path / f"{name}-symbol.json"),
                                str(tmp_path / f"{name}-0000.params"), [x.shape], np.float32,
                                str(tmp_path / f"{name}.onnx"))
    onnx.checker.check_model(onnx.load(path))
    got = _ort_run(path, {"data": x})[0]
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got / scale, expected / scale, rtol=1e-4, atol=1e-5)
