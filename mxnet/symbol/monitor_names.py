"""The names MXNet's monitors give an operator's inputs and outputs
(``Executor.set_monitor_callback``, ``mx.monitor.Monitor``,
``HybridBlock.register_op_hook``).

MXNet names an input ``<node>_<input name>`` when the operator declares its
input names (``FullyConnected``: data, weight, bias; binary ops: lhs, rhs;
ops taking a list: arg0, arg1...) and ``<node>_input<i>`` when it does not
(``Activation``, unary math, scalar ops...). Outputs of operators without
declared output names are ``<node>_<i>`` in a CachedOp's hook (the
executor uses the symbol's output names). The two sets below were measured
on MXNet 1.9.1 (tools/make_fixtures_monitor.py); every other operator here
keeps the names of its registry entry.
"""
from . import variadic_inputs

# Operators MXNet 1.9.1 reports inputs of as ``input<i>``.
POSITIONAL_INPUTS = frozenset({
    "Activation", "BlockGrad", "Cast", "Flatten", "Reshape", "SoftmaxActivation",
    "_contrib_AdaptiveAvgPooling2D", "_contrib_arange_like",
    "_contrib_bipartite_matching", "_contrib_box_nms", "_contrib_div_sqrt_dim",
    "_contrib_gradientmultiplier", "_contrib_round_ste", "_contrib_sign_ste", "_copy",
    "_div_scalar", "_equal_scalar", "_greater_equal_scalar", "_greater_scalar",
    "_hypot_scalar", "_lesser_equal_scalar", "_lesser_scalar", "_logical_and_scalar",
    "_logical_or_scalar", "_logical_xor_scalar", "_maximum_scalar", "_minimum_scalar",
    "_minus_scalar", "_mod_scalar", "_mul_scalar", "_not_equal_scalar", "_plus_scalar",
    "_power_scalar", "_random_exponential_like", "_random_gamma_like",
    "_random_generalized_negative_binomial_like", "_random_negative_binomial_like",
    "_rdiv_scalar", "_rminus_scalar", "_rmod_scalar", "_rpower_scalar",
    "_sample_multinomial", "abs", "amp_cast", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctanh", "argmax", "argmin", "argsort", "broadcast_axis",
    "broadcast_to", "cbrt", "ceil", "clip", "cos", "cosh", "degrees", "erf", "erfinv",
    "exp", "expand_dims", "expm1", "fix", "floor", "gamma", "gammaln", "hard_sigmoid",
    "log", "log10", "log1p", "log2", "logical_not", "make_loss", "max", "mean", "min",
    "nanprod", "nansum", "negative", "norm", "ones_like", "prod", "radians", "rcbrt",
    "reciprocal", "relu", "rint", "round", "rsqrt", "shape_array", "sigmoid", "sign",
    "sin", "sinh", "size_array", "slice", "slice_axis", "smooth_l1", "softmin",
    "softsign", "sqrt", "square", "sum", "tan", "tanh", "topk", "transpose", "trunc",
    "zeros_like",
})

# Operators with declared output names (``output``, ``mean``, ``var``...).
NAMED_OUTPUTS = frozenset({
    "Activation", "BatchNorm", "BilinearSampler", "Concat", "Convolution",
    "Convolution_v1", "Correlation", "Crop", "Deconvolution", "Dropout",
    "FullyConnected", "GridGenerator", "GroupNorm", "InstanceNorm", "L2Normalization",
    "LRN", "LayerNorm", "LeakyReLU", "MakeLoss", "Pad", "Pooling", "Pooling_v1", "RNN",
    "ROIPooling", "SVMOutput", "SequenceLast", "SequenceMask", "SequenceReverse",
    "SliceChannel", "SoftmaxActivation", "SoftmaxOutput", "SpatialTransformer",
    "SwapAxis", "UpSampling", "_contrib_BatchNormWithReLU",
    "_contrib_DeformableConvolution", "_contrib_MultiBoxDetection",
    "_contrib_MultiBoxPrior", "_contrib_MultiBoxTarget", "_contrib_PSROIPooling",
    "_contrib_ROIAlign", "_contrib_SyncBatchNorm", "_contrib_hawkesll",
    "_contrib_index_array", "_contrib_interleaved_matmul_encdec_qk",
    "_contrib_interleaved_matmul_encdec_valatt",
    "_contrib_interleaved_matmul_selfatt_qk",
    "_contrib_interleaved_matmul_selfatt_valatt", "_contrib_quantize_asym",
    "_contrib_quantized_concat", "_contrib_quantized_conv",
    "_contrib_quantized_elemwise_mul", "_contrib_quantized_embedding",
    "_contrib_quantized_flatten", "_contrib_quantized_fully_connected",
    "_contrib_quantized_pooling", "_rnn_param_concat", "col2im", "elemwise_add",
    "im2col", "make_loss", "softmax", "softmin",
})


def input_labels(op, attrs, count):
    """The suffixes naming the ``count`` inputs of a call of ``op``."""
    if op.name in POSITIONAL_INPUTS:
        return [f"input{i}" for i in range(count)]
    if op.variadic is not None:
        names = variadic_inputs.input_names(op, attrs)
        # the names MXNet creates inputs under (arg0, arg1... when it creates none)
        return names if names is not None and len(names) == count else \
            [f"arg{i}" for i in range(count)]
    names = op.input_names(attrs)[:count]
    return names + [f"input{i}" for i in range(len(names), count)]


def hook_output_labels(op, out_names, node_name):
    """The names a CachedOp's hook gives a node's outputs: its output names
    when the op declares them, else ``<node>_<i>``."""
    if op.name in NAMED_OUTPUTS:
        return list(out_names)
    return [f"{node_name}_{i}" for i in range(len(out_names))]
