"""mx.contrib.onnx.import_model / import_to_gluon / get_model_metadata: models
built with onnx.helper give onnxruntime's results once imported, and
exported zoo models import back unchanged."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from mxnet.contrib import onnx as onnx_mx  # noqa: E402

F32 = TensorProto.FLOAT


def _x(*shape, low=-2.0, high=2.0, seed=1):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def make_model(nodes, inputs, outputs, initializers=(), opset=13):
    """A model of ``nodes``; ``inputs``/``outputs`` are ``(name, shape[, elem_type])``
    (float32 when no type is given)."""
    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(n, F32, s) for n, s in inputs],
        [helper.make_tensor_value_info(o[0], o[2] if len(o) > 2 else F32, o[1])
         for o in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), n) for n, v in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    return model


def _run_imported(model, feeds):
    sym, arg_params, aux_params = onnx_mx.import_model(model)
    args = dict(arg_params)
    args.update({k: mx.nd.array(v, dtype=v.dtype) for k, v in feeds.items()
                 if k in sym.list_arguments()})
    ex = sym.bind(mx.cpu(), args=args, aux_states=aux_params, grad_req="null")
    ex.forward(is_train=False)
    return [o.asnumpy() for o in ex.outputs]


def check_import(model, feeds, rtol=1e-5, atol=1e-5):
    """The imported model's outputs equal onnxruntime's, dtypes included."""
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = sess.run(None, feeds)
    got = _run_imported(model, feeds)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, e.shape, g.dtype, e.dtype)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


def _one_op(op_type, in_shape, out_shape, initializers=(), extra_inputs=(), opset=13,
            out_type=F32, **attrs):
    """A model of one ``op_type`` node reading ``x`` (then ``extra_inputs``) and writing ``y``."""
    node = helper.make_node(op_type, ["x"] + list(extra_inputs), ["y"], **attrs)
    return make_model([node], [("x", in_shape)], [("y", out_shape, out_type)], initializers,
                      opset)


W33 = _x(4, 3, 3, 3, seed=5)
B4 = _x(4, seed=6)

# (id, model, input shape)
ONE_OP = [
    ("conv", _one_op("Conv", [1, 3, 6, 6], None, [("w", W33), ("b", B4)], ["w", "b"],
                     pads=[1, 1, 1, 1], strides=[2, 2]), (1, 3, 6, 6)),
    ("conv_same_upper", _one_op("Conv", [1, 3, 7, 7], None, [("w", W33)], ["w"],
                                auto_pad="SAME_UPPER", strides=[2, 2]), (1, 3, 7, 7)),
    ("conv_group", _one_op("Conv", [1, 4, 5, 5], None, [("w", _x(4, 2, 3, 3))], ["w"],
                           group=2, dilations=[1, 1]), (1, 4, 5, 5)),
    ("conv_transpose", _one_op("ConvTranspose", [1, 3, 4, 4], None,
                               [("w", _x(3, 2, 3, 3)), ("b", _x(2))], ["w", "b"],
                               strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
     (1, 3, 4, 4)),
    ("gemm", _one_op("Gemm", [2, 3], None, [("w", _x(4, 3)), ("c", _x(4))], ["w", "c"],
                     transB=1), (2, 3)),
    ("gemm_scaled", _one_op("Gemm", [3, 2], None, [("w", _x(3, 4)), ("c", _x(2, 4))],
                            ["w", "c"], transA=1, alpha=0.5, beta=2.0), (3, 2)),
    ("matmul_2d", _one_op("MatMul", [2, 3], None, [("w", _x(3, 4))], ["w"]), (2, 3)),
    ("matmul_3d_2d", _one_op("MatMul", [2, 5, 3], None, [("w", _x(3, 4))], ["w"]), (2, 5, 3)),
    ("matmul_3d", _one_op("MatMul", [2, 5, 3], None, [("w", _x(2, 3, 4))], ["w"]), (2, 5, 3)),
    ("batchnorm", _one_op("BatchNormalization", [2, 3, 4, 4], None,
                          [("s", _x(3)), ("b", _x(3)), ("m", _x(3)),
                           ("v", _x(3, low=0.5))], ["s", "b", "m", "v"], epsilon=1e-3),
     (2, 3, 4, 4)),
    ("instance_norm", _one_op("InstanceNormalization", [2, 3, 4, 4], None,
                              [("s", _x(3)), ("b", _x(3))], ["s", "b"], epsilon=1e-4),
     (2, 3, 4, 4)),
    ("lrn", _one_op("LRN", [1, 5, 3, 3], None, size=3, alpha=0.01, beta=0.6, bias=1.5),
     (1, 5, 3, 3)),
    ("leaky_relu", _one_op("LeakyRelu", [2, 3], None, alpha=0.3), (2, 3)),
    ("elu", _one_op("Elu", [2, 3], None, alpha=0.6), (2, 3)),
    ("selu", _one_op("Selu", [2, 3], None), (2, 3)),
    ("selu_custom", _one_op("Selu", [2, 3], None, alpha=1.5, gamma=1.1), (2, 3)),
    ("prelu", _one_op("PRelu", [2, 3, 2, 2], None, [("s", _x(3, 1, 1))], ["s"]), (2, 3, 2, 2)),
    ("hard_sigmoid", _one_op("HardSigmoid", [2, 3], None, alpha=0.3, beta=0.4), (2, 3)),
    ("softmax13", _one_op("Softmax", [2, 3, 4], None, axis=1), (2, 3, 4)),
    ("softmax11_coerced", _one_op("Softmax", [2, 3, 4], None, opset=11, axis=1), (2, 3, 4)),
    ("log_softmax", _one_op("LogSoftmax", [2, 5], None), (2, 5)),
    ("maxpool_ceil", _one_op("MaxPool", [1, 2, 6, 6], None, kernel_shape=[3, 3],
                             strides=[2, 2], ceil_mode=1), (1, 2, 6, 6)),
    ("avgpool", _one_op("AveragePool", [1, 2, 6, 6], None, kernel_shape=[3, 3],
                        pads=[1, 1, 1, 1]), (1, 2, 6, 6)),
    ("avgpool_include_pad", _one_op("AveragePool", [1, 2, 6, 6], None, kernel_shape=[3, 3],
                                    pads=[1, 1, 1, 1], count_include_pad=1), (1, 2, 6, 6)),
    ("avgpool_ceil", _one_op("AveragePool", [1, 2, 8, 8], None, kernel_shape=[3, 3],
                             strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1), (1, 2, 8, 8)),
    ("avgpool_ceil_include_pad", _one_op("AveragePool", [1, 2, 8, 8], None,
                                         kernel_shape=[3, 3], strides=[2, 2],
                                         pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1),
     (1, 2, 8, 8)),
    ("global_avg", _one_op("GlobalAveragePool", [1, 2, 3, 3], None), (1, 2, 3, 3)),
    ("global_max", _one_op("GlobalMaxPool", [1, 2, 3, 3], None), (1, 2, 3, 3)),
    ("flatten_axis2", _one_op("Flatten", [2, 3, 4, 2], None, axis=2), (2, 3, 4, 2)),
    ("flatten", _one_op("Flatten", [2, 3, 4], None), (2, 3, 4)),
    ("reshape", _one_op("Reshape", [2, 3, 4], None, [("s", np.array([0, -1, 2]))], ["s"]),
     (2, 3, 4)),
    ("transpose", _one_op("Transpose", [2, 3, 4], None, perm=[2, 0, 1]), (2, 3, 4)),
    ("dropout", _one_op("Dropout", [2, 3], None), (2, 3)),
    ("identity", _one_op("Identity", [2, 3], None), (2, 3)),
    ("clip11", _one_op("Clip", [2, 3], None, [("lo", np.array(-0.5, np.float32)),
                                              ("hi", np.array(1.0, np.float32))],
                       ["lo", "hi"], opset=11), (2, 3)),
    ("clip_min_only", _one_op("Clip", [2, 3], None, [("lo", np.array(0.0, np.float32))],
                              ["lo"]), (2, 3)),
    ("clip6", _one_op("Clip", [2, 3], None, opset=6, min=0.0, max=1.0), (2, 3)),
    ("pad", _one_op("Pad", [1, 2, 3, 3], None, [("p", np.array([0, 0, 1, 2, 0, 0, 2, 1]))],
                    ["p"]), (1, 2, 3, 3)),
    ("pad_reflect", _one_op("Pad", [1, 2, 3, 3], None,
                            [("p", np.array([0, 0, 1, 1, 0, 0, 1, 2]))], ["p"],
                            mode="reflect"), (1, 2, 3, 3)),
    ("squeeze", _one_op("Squeeze", [2, 1, 3, 1], None, [("a", np.array([1, -1]))], ["a"]),
     (2, 1, 3, 1)),
    ("squeeze11", _one_op("Squeeze", [2, 1, 3], None, opset=11, axes=[1]), (2, 1, 3)),
    ("unsqueeze", _one_op("Unsqueeze", [2, 3], None, [("a", np.array([0, -1]))], ["a"]),
     (2, 3)),
    ("reduce_mean", _one_op("ReduceMean", [2, 3, 4], None, axes=[1, 2]), (2, 3, 4)),
    ("reduce_sum", _one_op("ReduceSum", [2, 3, 4], None, [("a", np.array([1]))], ["a"],
                           keepdims=0), (2, 3, 4)),
    ("reduce_max_all", _one_op("ReduceMax", [2, 3], None, keepdims=1), (2, 3)),
    ("gather", _one_op("Gather", [5, 3], None, [("i", np.array([[0, 4], [-1, 2]]))], ["i"]),
     (5, 3)),
    ("gather_axis1_scalar", _one_op("Gather", [2, 5, 3], None, [("i", np.array(3))], ["i"],
                                    axis=1), (2, 5, 3)),
    ("cast", _one_op("Cast", [2, 3], None, out_type=TensorProto.FLOAT16,
                     to=TensorProto.FLOAT16), (2, 3)),
    ("upsample", _one_op("Upsample", [1, 2, 2, 3], None,
                         [("s", np.array([1, 1, 2, 2], np.float32))], ["s"], opset=9),
     (1, 2, 2, 3)),
    ("resize_scales", _one_op("Resize", [1, 2, 2, 3], None,
                              [("s", np.array([1, 1, 3, 3], np.float32))], ["", "s"],
                              mode="nearest"), (1, 2, 2, 3)),
    ("resize_sizes", _one_op("Resize", [1, 2, 2, 3], None,
                             [("z", np.array([1, 2, 4, 6]))], ["", "", "z"], mode="nearest",
                             coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
     (1, 2, 2, 3)),
    ("resize_linear", _one_op("Resize", [1, 2, 3, 4], None,
                              [("z", np.array([1, 2, 7, 5]))], ["", "", "z"], mode="linear"),
     (1, 2, 3, 4)),
    ("resize_linear_align", _one_op("Resize", [1, 2, 3, 4], None,
                                    [("s", np.array([1, 1, 2, 1.5], np.float32))], ["", "s"],
                                    mode="linear",
                                    coordinate_transformation_mode="align_corners"),
     (1, 2, 3, 4)),
    ("slice", _one_op("Slice", [4, 6], None,
                      [("s", np.array([1, -1])), ("e", np.array([3, -7])),
                       ("a", np.array([0, 1])), ("t", np.array([1, -2]))],
                      ["s", "e", "a", "t"]), (4, 6)),
    ("slice_clamped", _one_op("Slice", [4, 6], None,
                              [("s", np.array([2])), ("e", np.array([2 ** 62]))],
                              ["s", "e"]), (4, 6)),
]

for _op in ("Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Softplus", "Softsign", "Erf",
            "Floor", "Ceil", "Sin", "Cos"):
    ONE_OP.append((_op.lower(), _one_op(_op, [2, 3], None), (2, 3)))
for _op in ("Log", "Sqrt", "Reciprocal"):
    ONE_OP.append((_op.lower(), _one_op(_op, [2, 3], None), (2, 3, "positive")))
for _op in ("Add", "Sub", "Mul", "Div", "Pow"):
    ONE_OP.append((_op.lower(), _one_op(_op, [2, 3], None, [("c", _x(3, low=0.5))], ["c"]),
                   (2, 3, "positive")))
for _op in ("Sum", "Max", "Min", "Mean"):
    ONE_OP.append((_op.lower() + "_variadic",
                   _one_op(_op, [2, 3], None, [("c", _x(3, seed=3)), ("d", _x(2, 1, seed=4))],
                           ["c", "d"]), (2, 3)))


@pytest.mark.parametrize("case", ONE_OP, ids=[c[0] for c in ONE_OP])
def test_imported_op_matches_onnxruntime(case):
    _, model, shape = case
    positive = shape[-1] == "positive"
    shape = shape[:-1] if positive else shape
    check_import(model, {"x": _x(*shape, low=0.2 if positive else -2.0)})


def test_constant_shape_and_concat_chain():
    nodes = [
        helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(
            np.array([[1.0, 2.0, 3.0]], np.float32))),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Concat", ["x", "k"], ["c"], axis=0),
        helper.make_node("Reshape", ["c", "s2"], ["r"]),
        helper.make_node("Split", ["r", "parts"], ["y", "z"], axis=1),
    ]
    model = make_model(nodes, [("x", [2, 3])], [("y", None), ("z", None)],
                       [("s2", np.array([-1, 9])), ("parts", np.array([4, 5]))])
    check_import(model, {"x": _x(2, 3)})


def test_unsupported_op_and_computed_shape_raise():
    model = _one_op("NonMaxSuppression", [1, 2, 4], None)
    with pytest.raises(MXNetError, match="NonMaxSuppression"):
        onnx_mx.import_model(model)
    node = helper.make_node("Reshape", ["x", "x_shape"], ["y"])
    dynamic = make_model([helper.make_node("Relu", ["s"], ["x_shape"]), node],
                         [("x", [2, 3]), ("s", [2])], [("y", None)])
    with pytest.raises(MXNetError, match="Reshape.*constant"):
        onnx_mx.import_model(dynamic)
    asym = _one_op("Conv", [1, 3, 6, 6], None, [("w", W33)], ["w"], pads=[0, 0, 1, 1])
    with pytest.raises(MXNetError, match="asymmetric"):
        onnx_mx.import_model(asym)
    skewed = _one_op("Resize", [1, 2, 3, 4], None, [("z", np.array([1, 2, 6, 8]))],
                     ["", "", "z"], mode="linear", coordinate_transformation_mode="asymmetric")
    with pytest.raises(MXNetError, match="Resize.*asymmetric"):
        onnx_mx.import_model(skewed)
    with pytest.raises(MXNetError, match="cannot read"):
        onnx_mx.import_model("/nonexistent/model.onnx")


def test_a_file_that_is_not_onnx_raises(tmp_path):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"not a protobuf \xff\xff")
    with pytest.raises(MXNetError, match="cannot read ONNX model"):
        onnx_mx.get_model_metadata(str(path))


def _export_zoo(name, size, tmp_path):
    net = mx.gluon.model_zoo.vision.get_model(name, pretrained=False, classes=10)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = _x(2, 3, size, size, low=0, high=1)
    expected = net(mx.nd.array(x)).asnumpy()
    net.export(str(tmp_path / name))
    path = onnx_mx.export_model(str(tmp_path / f"{name}-symbol.json"),
                                str(tmp_path / f"{name}-0000.params"), [x.shape], np.float32,
                                str(tmp_path / f"{name}.onnx"))
    return path, x, expected


def test_zoo_round_trip_through_import_model_and_gluon(tmp_path):
    path, x, expected = _export_zoo("resnet18_v1", 32, tmp_path)
    got = _run_imported(onnx.load(path), {"data": x})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    _, arg_params, aux_params = onnx_mx.import_model(path)
    # The Gluon prefix (resnetv1N_) depends on how many nets the process made.
    assert any(name.endswith("_conv0_weight") for name in arg_params)
    assert all(name.endswith(("running_mean", "running_var")) for name in aux_params)
    assert any(name.endswith("_batchnorm0_running_var") for name in aux_params)
    net = onnx_mx.import_to_gluon(path, mx.cpu())
    assert isinstance(net, mx.gluon.SymbolBlock)
    np.testing.assert_allclose(net(mx.nd.array(x)).asnumpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,size", [("mobilenetv2_0.25", 32), ("squeezenet1.1", 224)])
def test_more_zoo_round_trips(name, size, tmp_path):
    path, x, expected = _export_zoo(name, size, tmp_path)
    got = _run_imported(onnx.load(path), {"data": x})[0]
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got / scale, expected / scale, rtol=1e-5, atol=1e-6)


def test_get_model_metadata(tmp_path):
    model = _one_op("Gemm", [2, 3], [2, 4], [("w", _x(4, 3))], ["w"], transB=1)
    model.graph.input.append(helper.make_tensor_value_info("w", F32, [4, 3]))
    path = str(tmp_path / "g.onnx")
    onnx.save(model, path)
    meta = onnx_mx.get_model_metadata(path)
    # Initializers listed as graph inputs (older exporters do so) are not data inputs.
    assert meta == {"input_tensor_data": [("x", (2, 3), TensorProto.FLOAT)],
                    "output_tensor_data": [("y", (2, 4))]}
