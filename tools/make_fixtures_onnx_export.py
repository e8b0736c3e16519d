"""The ONNX node types MXNet 1.9.1's own exporter writes for small symbols.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet 1.9.1 and its ``mx.onnx`` exporter):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_onnx_export.py

writes ``tests/fixtures/onnx_export/cases.json``: for each case its symbol
(MXNet's JSON), its inputs (name, shape, dtype, value range) and the sorted
set of ONNX op types MXNet's exporter emits for it, or null where that
exporter rejects the case; and ``operator_support.json``, the operator names
MXNet's ``mx.onnx.get_operator_support()`` lists.
``tests/test_onnx_export_ops.py`` loads each symbol, exports it with MXNext,
runs it in onnxruntime against MXNext's own forward pass and compares the op
types.
"""
import json
import os
import tempfile

import numpy as np

import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "onnx_export")

S = mx.sym
D = S.var("data")
A, B, C = S.var("a"), S.var("b"), S.var("c")


def f32(name, shape, low=-2.0, high=2.0):
    return [name, list(shape), "float32", low, high, False]


def i64(name, shape, low, high, dtype="int64"):
    """Whole numbers in [low, high) (indices, lengths, booleans), of ``dtype``."""
    return [name, list(shape), dtype, low, high, True]


def _cases():
    """(id, symbol, inputs); inputs are [name, shape, dtype, low, high, integral]."""
    x234 = [f32("data", (2, 3, 4))]
    ab = [f32("a", (2, 3)), f32("b", (2, 3))]
    yield "equal_scalar", S.Group([D == 1.0, D > 0.5, D < -0.5]), [i64("data", (2, 3), -2, 3,
                                                                        "float32")]
    yield "compare", S.Group([S.broadcast_equal(A, B), S.broadcast_not_equal(A, B),
                              S.broadcast_greater(A, B), S.broadcast_greater_equal(A, B),
                              S.broadcast_lesser(A, B), S.broadcast_lesser_equal(A, B)]), \
        [i64("a", (2, 3), -2, 3, "float32"), i64("b", (1, 3), -2, 3, "float32")]
    yield "logical", S.Group([S.broadcast_logical_and(A, B), S.broadcast_logical_or(A, B),
                              S.broadcast_logical_xor(A, B), S.logical_not(A)]), \
        [i64("a", (2, 3), 0, 2, "float32"), i64("b", (2, 3), 0, 2, "float32")]
    yield "trig", S.Group([S.arcsin(D), S.arccos(D), S.arctan(D), S.tan(D)]), \
        [f32("data", (2, 3), -0.9, 0.9)]
    yield "log2", S.log2(D), [f32("data", (2, 3), 0.1, 4.0)]
    yield "mod", S.broadcast_mod(A, B), [f32("a", (2, 3), 0.5, 9), f32("b", (2, 3), 1, 3)]
    yield "hard_sigmoid", S.hard_sigmoid(D, alpha=0.3, beta=0.4), [f32("data", (2, 3))]
    yield "where", S.where(C, A, B), [i64("c", (2, 3), 0, 2, "float32")] + ab
    yield "take", S.take(A, B, axis=1), [f32("a", (3, 4)), i64("b", (2, 2), 0, 4, "float32")]
    yield "take_wrap", S.take(A, B, axis=0, mode="wrap"), \
        [f32("a", (3, 4)), i64("b", (2,), -5, 6, "float32")]
    yield "one_hot", S.one_hot(D, depth=5, on_value=2.0, off_value=-1.0), \
        [i64("data", (2, 3), 0, 5, "float32")]
    yield "argmax", S.argmax(D, axis=1), x234
    yield "argmax_keep", S.argmax(D, axis=-1, keepdims=True), x234
    yield "argmin", S.argmin(D, axis=0), x234
    yield "topk_value", S.topk(D, k=2, axis=-1, ret_typ="value"), x234
    yield "topk_indices", S.topk(D, k=2, axis=1, ret_typ="indices", is_ascend=True), x234
    yield "topk_both", S.Group(list(S.topk(D, k=3, axis=-1, ret_typ="both"))), x234
    yield "argsort", S.argsort(D, axis=-1), x234
    yield "argsort_desc", S.argsort(D, axis=1, is_ascend=False), x234
    yield "tile", S.tile(D, reps=(2, 1, 3)), x234
    yield "tile_more", S.tile(D, reps=(2, 1, 1, 2)), x234
    yield "repeat", S.repeat(D, repeats=2, axis=1), x234
    yield "repeat_flat", S.repeat(D, repeats=3), [f32("data", (2, 3))]
    yield "reverse", S.reverse(D, axis=1), x234
    yield "swapaxes", S.SwapAxis(D, dim1=0, dim2=2), x234
    yield "shape_array", S.shape_array(D), x234
    yield "size_array", S.size_array(D), x234
    yield "reshape_like", S.reshape_like(A, B), [f32("a", (2, 6)), f32("b", (3, 4))]
    yield "slice_like", S.slice_like(A, B), [f32("a", (4, 5)), f32("b", (2, 3))]
    yield "slice_like_axes", S.slice_like(A, B, axes=(1,)), [f32("a", (4, 5)), f32("b", (2, 3))]
    yield "broadcast_axis", S.broadcast_axis(D, axis=(0, 2), size=(3, 4)), \
        [f32("data", (1, 2, 1))]
    yield "arange_like", S.contrib.arange_like(D, start=1.0, step=0.5), x234
    yield "arange_like_axis", S.contrib.arange_like(D, axis=1) + 0, x234
    yield "zeros_ones", S.Group([S.zeros(shape=(2, 3)) + A, S.ones(shape=(2, 3)) * A]), \
        [f32("a", (2, 3))]
    yield "arange", S.arange(start=1, stop=7, step=2) + A, [f32("a", (3,))]
    yield "gemm2", S.linalg.gemm2(A, B, transpose_b=True, alpha=2.0), \
        [f32("a", (2, 3, 4)), f32("b", (2, 5, 4))]
    yield "div_sqrt_dim", S.contrib.div_sqrt_dim(D), x234
    yield "split_v2", S.Group(list(S.split_v2(D, indices_or_sections=(1, 3), axis=2))), x234
    yield "split_v2_sections", S.Group(list(S.split_v2(D, indices_or_sections=3, axis=1,
                                                       squeeze_axis=True))), x234
    yield "depth_to_space", S.depth_to_space(D, block_size=2), [f32("data", (1, 8, 2, 3))]
    yield "space_to_depth", S.space_to_depth(D, block_size=2), [f32("data", (1, 2, 4, 6))]
    yield "sequence_mask", S.SequenceMask(A, B, use_sequence_length=True, value=-1.0), \
        [f32("a", (4, 2, 3)), i64("b", (2,), 1, 5, "float32")]
    yield "sequence_mask_axis1", S.SequenceMask(A, B, use_sequence_length=True, axis=1), \
        [f32("a", (2, 4, 3)), i64("b", (2,), 1, 5, "float32")]
    yield "sequence_reverse", S.SequenceReverse(A, B, use_sequence_length=True), \
        [f32("a", (4, 2, 3)), i64("b", (2,), 1, 5, "float32")]
    yield "gather_nd", S.gather_nd(A, B), [f32("a", (3, 4, 2)), i64("b", (2, 3), 0, 3, "float32")]
    yield "norm", S.norm(D, axis=1), x234
    yield "norm_l1_keep", S.norm(D, ord=1, axis=(1, 2), keepdims=True), x234
    yield "crop", S.Crop(A, B, num_args=2, offset=(1, 1)), \
        [f32("a", (1, 2, 5, 5)), f32("b", (1, 2, 3, 2))]
    yield "identity_makeloss", S.MakeLoss(S.identity(D)), [f32("data", (2, 3))]
    yield "sum_axis", S.sum_axis(D, axis=1), x234
    yield "adaptive_avg_pool", S.contrib.AdaptiveAvgPooling2D(D, output_size=(1, 1)), \
        [f32("data", (1, 2, 4, 4))]
    yield "adaptive_avg_pool_3", S.contrib.AdaptiveAvgPooling2D(D, output_size=3), \
        [f32("data", (1, 2, 6, 6))]
    yield "pool_same", S.Pooling(D, kernel=(3,), stride=(2,), pool_type="max",
                                 pooling_convention="same"), [f32("data", (1, 2, 7))]
    yield "upsampling_bilinear", S.UpSampling(D, S.var("w"), scale=2, sample_type="bilinear",
                                              num_filter=2, num_args=2), \
        [f32("data", (1, 2, 3, 3))]
    yield "interleaved_selfatt", _selfatt(), [f32("data", (3, 2, 12))]
    yield "softmax_length", S.softmax(D, S.var("length"), axis=-1, use_length=True), \
        [f32("data", (2, 3, 4)), i64("length", (2, 3), 1, 5, "int32")]
    yield "box_decode", S.contrib.box_decode(A, B, std0=0.1, std1=0.1, std2=0.2, std3=0.2,
                                             format="center"), \
        [f32("a", (2, 5, 4), -0.5, 0.5), f32("b", (1, 5, 4), 0.2, 1.0)]
    yield "lstm", _rnn("lstm", 2, False), [f32("data", (5, 2, 3))]
    yield "gru", _rnn("gru", 1, False), [f32("data", (5, 2, 3))]
    yield "lstm_bidirectional", _rnn("lstm", 1, True), [f32("data", (5, 2, 3))]
    yield "rnn_tanh", _rnn("rnn_tanh", 1, False), [f32("data", (5, 2, 3))]
    # Layers that exported before this fixture existed, for their node types.
    yield "layer_norm", S.LayerNorm(D, axis=-1, eps=1e-3), x234
    yield "embedding", S.Embedding(D, input_dim=7, output_dim=3), \
        [i64("data", (2, 3), 0, 7, "float32")]
    yield "fc_no_flatten", S.FullyConnected(D, num_hidden=5, flatten=False), x234
    yield "gelu", S.LeakyReLU(D, act_type="gelu"), x234
    yield "upsampling_nearest", S.UpSampling(D, scale=2, sample_type="nearest", num_args=1), \
        [f32("data", (1, 2, 3, 3))]
    yield "deconv", S.Deconvolution(D, kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1),
                                    num_filter=3), [f32("data", (1, 2, 4, 4))]
    yield "pool_full", S.Pooling(D, kernel=(3, 3), stride=(2, 2), pool_type="max",
                                 pooling_convention="full"), [f32("data", (1, 2, 8, 8))]
    yield "bilinear_resize", S.contrib.BilinearResize2D(D, height=6, width=5), \
        [f32("data", (1, 2, 3, 4))]
    yield "batch_dot", S.batch_dot(A, B, transpose_b=True), \
        [f32("a", (2, 3, 4)), f32("b", (2, 5, 4))]
    yield "conv_nhwc", S.Convolution(D, kernel=(3, 3), num_filter=4, layout="NHWC"), \
        [f32("data", (1, 5, 5, 3))]
    yield "pool_nhwc", S.Pooling(D, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                                 layout="NHWC"), [f32("data", (1, 4, 4, 3))]


def _selfatt(heads=2):
    qkv = D  # (seq, batch, 3 * heads * head_dim)
    scores = S.contrib.interleaved_matmul_selfatt_qk(qkv, heads=heads)
    probs = S.softmax(scores, axis=-1)
    return S.contrib.interleaved_matmul_selfatt_valatt(qkv, probs, heads=heads)


def _rnn(mode, layers, bidirectional, hidden=4):
    dirs = 2 if bidirectional else 1
    state = S.zeros(shape=(layers * dirs, 2, hidden))
    args = [state, state] if mode == "lstm" else [state]
    out = S.RNN(D, S.var("rnn_params"), *args, state_size=hidden, num_layers=layers,
                mode=mode, bidirectional=bidirectional, state_outputs=False)
    return out


def _params(sym, shapes):
    """Random parameters for the arguments that are not inputs."""
    rng = np.random.RandomState(0)
    arg_shapes, _, aux_shapes = sym.infer_shape_partial(**shapes)
    params = {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name not in shapes:
            params[name] = mx.nd.array(rng.uniform(-1, 1, shape))
    for name, shape in zip(sym.list_auxiliary_states(), aux_shapes):
        params[name] = mx.nd.array(rng.uniform(0.5, 1.5, shape))
    return params


def _node_types(sym, inputs):
    shapes = {name: tuple(shape) for name, shape, *_ in inputs}
    path = os.path.join(tempfile.mkdtemp(), "m.onnx")
    try:
        params = _params(sym, shapes)
        mx.onnx.export_model(sym, params, [tuple(s) for _, s, *_ in inputs],
                             [np.dtype(t) for _, _, t, *_ in inputs], path)
    except Exception as err:  # noqa: BLE001 - the fixture records what MXNet rejects
        print("  rejected:", type(err).__name__, str(err).splitlines()[0][:100])
        return None
    import onnx
    return sorted({node.op_type for node in onnx.load(path).graph.node})


def make():
    # MXNet's exporter writes the newest opset the onnx package knows; pin it
    # to 13, the opset MXNext writes, so both translate for the same opset.
    import onnx.checker
    import onnx.defs
    onnx.defs.onnx_opset_version = lambda: 13
    onnx.checker.DEFAULT_CONTEXT.opset_imports = {"": 13}
    os.makedirs(OUT, exist_ok=True)
    cases = {}
    for case_id, sym, inputs in _cases():
        print(case_id)
        cases[case_id] = {"symbol": sym.tojson(), "inputs": inputs,
                          "mxnet_node_types": _node_types(sym, inputs)}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    with open(os.path.join(OUT, "operator_support.json"), "w") as f:
        json.dump(sorted(mx.onnx.get_operator_support()), f, indent=0)


if __name__ == "__main__":
    make()
