"""Graphs whose JSON shows how MXNet 1.9.1 counts a node's outputs
(``node_row_ptr``), stamps input entries with versions, drops AMP casts and
names an op's inputs, aux states and outputs.
Built the same way by tools/make_fixtures_symbol_entries.py (under MXNet) and
by tests/symbol/test_json_entries.py (here); each builder runs in a fresh
``NameManager`` and uses only ``mx.sym`` and ``mx.name``.
"""
import json


def _pool(**kwargs):
    return lambda mx: mx.sym.Pooling(mx.sym.var("data"), name="pool", **kwargs)


def _op(func, n_inputs=1, **kwargs):
    """``func`` (a path under mx.sym) applied to variables in0, in1..."""
    def build(mx):
        fn = mx.sym
        for part in func.split("."):
            fn = getattr(fn, part)
        return fn(*[mx.sym.var(f"in{i}") for i in range(n_inputs)], name="node", **kwargs)
    return build


def _rnn(mode, state_outputs):
    def build(mx):
        states = ["state", "cell"] if mode == "lstm" else ["state"]
        inputs = [mx.sym.var(n) for n in ["data", "params"] + states]
        return mx.sym.RNN(*inputs, state_size=3, num_layers=1, mode=mode,
                          state_outputs=state_outputs, name="rnn")
    return build


# Ops whose MXNet nodes have outputs they do not show.
ROW_CASES = {
    "pool_max": _pool(kernel=(2, 2), pool_type="max"),
    "pool_default_type": _pool(kernel=(2, 2)),
    "pool_avg": _pool(kernel=(2, 2), pool_type="avg"),
    "pool_sum": _pool(kernel=(2, 2), pool_type="sum"),
    "pool_lp": _pool(kernel=(2, 2), pool_type="lp", p_value=2),
    "pool_max_1d": _pool(kernel=(2,), pool_type="max", layout="NCW"),
    "pool_max_3d": _pool(kernel=(2, 2, 2), pool_type="max"),
    "pool_max_channels_last": _pool(kernel=(2, 2), pool_type="max", layout="NHWC"),
    "pool_max_global_with_kernel": _pool(kernel=(2, 2), pool_type="max", global_pool=True),
    "pool_max_global": _pool(pool_type="max", global_pool=True),
    "lrn": _op("LRN", nsize=3),
    "instance_norm": _op("InstanceNorm", 3),
    "l2_normalization": _op("L2Normalization"),
    "grid_generator": _op("GridGenerator", transform_type="affine", target_shape=(2, 2)),
    "bilinear_sampler": _op("BilinearSampler", 2),
    "spatial_transformer": _op("SpatialTransformer", 2, target_shape=(2, 2),
                               transform_type="affine", sampler_type="bilinear"),
    "correlation": _op("Correlation", 2),
    "roi_pooling": _op("ROIPooling", 2, pooled_size=(2, 2), spatial_scale=1.0),
    "deformable_psroi_pooling": _op("contrib.DeformablePSROIPooling", 3, spatial_scale=1.0,
                                    output_dim=2, group_size=2, pooled_size=2),
    "ctc_loss": _op("ctc_loss", 2),
    "batch_norm_relu": _op("contrib.BatchNormWithReLU"),
    "batch_norm_relu_mean_var": _op("contrib.BatchNormWithReLU", output_mean_var=True),
    "det": _op("linalg.det"),
    "slogdet": _op("linalg.slogdet"),
    "sort": _op("sort"),
    "topk_value": _op("topk", ret_typ="value"),
    "topk_indices": _op("topk", ret_typ="indices"),
    "topk_both": _op("topk", ret_typ="both"),
    "topk_mask": _op("topk", ret_typ="mask"),
    "rnn_lstm": _rnn("lstm", False),
    "rnn_gru": _rnn("gru", False),
    "rnn_lstm_states": _rnn("lstm", True),
    "rnn_gru_states": _rnn("gru", True),
    # not hidden outputs: the inputs an op takes only in some modes
    "bilinear_resize_size": _op("contrib.BilinearResize2D", height=2, width=3),
    "bilinear_resize_like": _op("contrib.BilinearResize2D", 2, mode="like"),
}


def _shared_stats(mx):
    """Two BatchNorms updating the same moving statistics (bn1 composed first)."""
    mean, var = mx.sym.var("mean"), mx.sym.var("var")
    bn1 = mx.sym.BatchNorm(mx.sym.var("x"), moving_mean=mean, moving_var=var, name="bn1")
    bn2 = mx.sym.BatchNorm(mx.sym.var("y"), moving_mean=mean, moving_var=var, name="bn2")
    return bn1, bn2, mean, var


def _second_user_alone(mx):
    return _shared_stats(mx)[1]


def _users_in_reverse(mx):
    bn1, bn2, _, _ = _shared_stats(mx)
    return mx.sym.Group([bn2, bn1])


def _statistic_as_data(mx):
    """A variable read as data after two updates, then updated again."""
    _, _, mean, var = _shared_stats(mx)
    return mx.sym.BatchNorm(mean, moving_mean=mean, moving_var=var, name="bn3")


def _composed_again(mx):
    net = mx.sym.BatchNorm(mx.sym.var("a"), name="bn")
    return net(a=mx.sym.var("x"))


def _loaded_then_extended(mx):
    """A loaded graph's variables start counting writes from zero."""
    bn1 = _shared_stats(mx)[0]
    loaded = mx.sym.load_json(bn1.tojson())
    internals = loaded.get_internals()
    return mx.sym.BatchNorm(loaded, moving_mean=internals["mean"],
                            moving_var=internals["var"], name="bn4")


def _file_versions(mx):
    """Versions a file gives are kept, whatever they are."""
    doc = json.loads(_shared_stats(mx)[0].tojson())
    for node in doc["nodes"]:
        node["inputs"] = [[src, index, 7] for src, index, _ in node["inputs"]]
    return mx.sym.load_json(json.dumps(doc))


def _versionless_file(mx):
    """[node, output] entries (MXNet 0.9 files) have version 0."""
    doc = json.loads(_shared_stats(mx)[0].tojson())
    for node in doc["nodes"]:
        node["inputs"] = [entry[:2] for entry in node["inputs"]]
    return mx.sym.load_json(json.dumps(doc))


VERSION_CASES = {
    "second_user_alone": _second_user_alone,
    "users_in_reverse": _users_in_reverse,
    "statistic_as_data": _statistic_as_data,
    "composed_again": _composed_again,
    "loaded_then_extended": _loaded_then_extended,
    "file_versions": _file_versions,
    "versionless_file": _versionless_file,
}


def _cast_head(mx):
    return mx.sym.amp_cast(mx.sym.var("x"), dtype="float16", name="cast")


def _multicast_heads(mx):
    return mx.sym.amp_multicast(mx.sym.var("x"), mx.sym.var("y"), num_outputs=2, name="mc")


def _cast_inside(mx):
    cast = mx.sym.amp_cast(mx.sym.var("x"), dtype="float16", name="cast")
    return mx.sym.relu(cast, name="relu")


def _casts_chained(mx):
    inner = mx.sym.amp_cast(mx.sym.var("x"), dtype="float16", name="inner")
    outer = mx.sym.amp_cast(inner, dtype="float32", name="outer")
    return mx.sym.Group([mx.sym.relu(outer, name="relu"), outer])


def _multicast_inside(mx):
    mc = mx.sym.amp_multicast(mx.sym.var("x"), mx.sym.var("y"), num_outputs=2, name="mc")
    return mx.sym.elemwise_add(mc[1], mc[0], name="add")


def _cast_of_updated_statistic(mx):
    """A cast bypassed: its consumer gets the cast's input entry, version and all."""
    mean, var = mx.sym.var("mean"), mx.sym.var("var")
    bn = mx.sym.BatchNorm(mx.sym.var("x"), moving_mean=mean, moving_var=var, name="bn")
    cast = mx.sym.amp_cast(mean, dtype="float16", name="cast")
    return mx.sym.Group([bn, mx.sym.relu(cast, name="relu")])


AMP_CASES = {
    "cast_head": _cast_head,
    "multicast_heads": _multicast_heads,
    "cast_inside": _cast_inside,
    "casts_chained": _casts_chained,
    "multicast_inside": _multicast_inside,
    "cast_of_updated_statistic": _cast_of_updated_statistic,
}

def _conv(mx, x, name, **kwargs):
    return mx.sym.Convolution(x, kernel=kwargs.pop("kernel", (3, 3)), num_filter=4,
                              pad=kwargs.pop("pad", (1, 1)), name=name, **kwargs)


def _fused(*parts):
    """conv -> parts, optimized for MKLDNN: the fused node's subgraph holds the
    original nodes; the parts MXNet does not fold stay outside."""
    def build(mx):
        data = mx.sym.var("data")
        y = _conv(mx, data, "conv", no_bias="bn" in parts)
        for i, part in enumerate(parts):
            if part == "bn":
                y = mx.sym.BatchNorm(y, fix_gamma=False, momentum=0.8, name=f"bn{i}")
            elif part == "add":
                y = mx.sym.elemwise_add(y, data, name=f"add{i}")
            else:
                y = mx.sym.Activation(y, act_type=part, name=f"act{i}")
        return y.optimize_for("MKLDNN")
    return build


def _fused_network(mx):
    data = mx.sym.var("data")
    y = mx.sym.Activation(mx.sym.BatchNorm(_conv(mx, data, "c1"), name="b1"),
                          act_type="relu", name="r1")
    y = mx.sym.Activation(_conv(mx, y, "c2", no_bias=True) + y, act_type="relu", name="r2")
    y = mx.sym.Convolution(mx.sym.Reshape(y, shape=(0, 4, -1)), kernel=(3,), num_filter=2,
                           name="c1d")
    y = mx.sym.FullyConnected(mx.sym.Activation(y, act_type="softsign", name="soft"),
                              num_hidden=3, name="fc1")
    y = mx.sym.FullyConnected(mx.sym.Activation(y, act_type="tanh", name="tanh"),
                              num_hidden=2, name="fc2")
    return y.optimize_for("MKLDNN")


def _fused_with_dropouts(mx):
    """Dropouts MXNet's optimize_for removes (after an operator, the output
    one too) or keeps (on a variable); subgraph inputs are named past them."""
    data = mx.sym.var("data")
    y = mx.sym.FullyConnected(mx.sym.Dropout(data, p=0.5, name="d0"), num_hidden=4,
                              name="fc1")
    y = mx.sym.Dropout(mx.sym.Activation(y, act_type="relu", name="r1"), p=0.5, name="d1")
    y = mx.sym.FullyConnected(y, num_hidden=3, name="fc2")
    return mx.sym.Dropout(y, p=0.2, name="d2").optimize_for("MKLDNN")


FUSED_CASES = {
    "fused_with_dropouts": _fused_with_dropouts,
    "fused_conv_bn_relu": _fused("bn", "relu"),
    "fused_conv_bn_add_relu": _fused("bn", "add", "relu"),
    "fused_conv_add_sigmoid": _fused("add", "sigmoid"),
    "fused_conv_relu_then_add": _fused("relu", "add"),
    "fused_conv_softsign": _fused("softsign"),
    "fused_network": _fused_network,
}

def _x(mx):
    return mx.sym.var("x")


def _set(sym, **attrs):
    sym._set_attr(**attrs)
    return sym


# What the front end writes: names, op names, parameters given as None,
# inputs and initializers MXNet fixes.
FRONT_END_CASES = {
    "random_uniform": lambda mx: mx.sym.random.uniform(shape=(2,)),
    "random_uniform_of_symbols": lambda mx: mx.sym.random.uniform(_x(mx), mx.sym.var("y")),
    "random_exponential_of_symbol": lambda mx: mx.sym.random.exponential(_x(mx)),
    "random_randn": lambda mx: mx.sym.random.randn(2, 3, loc=1),
    "random_multinomial": lambda mx: mx.sym.random.multinomial(_x(mx)),
    "random_shuffle": lambda mx: mx.sym.random.shuffle(_x(mx)),
    "random_uniform_like": lambda mx: mx.sym.random.uniform_like(_x(mx)),
    "uniform_alias": lambda mx: mx.sym.uniform(shape=(2,)),
    "sparse_dot": lambda mx: mx.sym.sparse.dot(_x(mx), mx.sym.var("y")),
    "none_parameters": lambda mx: mx.sym.Group([
        mx.sym.slice_axis(_x(mx), axis=-1, begin=1, end=None), mx.sym.sort(_x(mx), axis=None)]),
    "zeros_alone": lambda mx: mx.sym.zeros((2, 3)),
    "variable_alone": _x,
    "upsampling_bilinear_weight_created": lambda mx: mx.sym.UpSampling(
        _x(mx), scale=2, sample_type="bilinear", num_filter=2),
    "split_v2_points": lambda mx: _x(mx).split_v2((1, 3), axis=0),
    "split_v2_sections": lambda mx: mx.sym.split_v2(_x(mx), 2, squeeze_axis=True),
    "list_parameter": lambda mx: mx.sym.Reshape(_x(mx), shape=[2, -1]),
    "split_attribute_set": lambda mx: _set(mx.sym.split(_x(mx), num_outputs=2), k="v"),
    "upsampling_nearest_second_input": lambda mx: mx.sym.UpSampling(
        _x(mx), mx.sym.var("y"), scale=2, sample_type="nearest", num_args=2),
}

# Op declarations: output names (by index unless MXNet names them), inputs an op
# takes only under some parameters, which inputs are aux states.
DECLARATION_CASES = {
    "gelqf": _op("linalg.gelqf"),
    "syevd": _op("linalg.syevd"),
    "histogram_bin_count": _op("_internal._histogram", bin_cnt=3, range=(0, 1)),
    "histogram_edges": _op("_internal._histogram", 2),
    "quantize": _op("contrib.quantize", 3),
    "quantize_v2": _op("contrib.quantize_v2"),
    "requantize": _op("contrib.requantize", 3),
    "quantize_asym": _op("contrib.quantize_asym"),
    "split_one": _op("split", num_outputs=1),
    "slice_channel_one_squeezed": _op("SliceChannel", num_outputs=1, squeeze_axis=True),
    "split_v2_one": _op("_internal._split_v2", indices=(0,)),
    "sequence_mask": _op("SequenceMask"),
    "sequence_mask_lengths_created": _op("SequenceMask", use_sequence_length=True),
    "sequence_last": _op("SequenceLast"),
    "sequence_last_lengths": _op("SequenceLast", 2, use_sequence_length=True),
    "sequence_reverse": _op("SequenceReverse"),
    "sequence_reverse_lengths_created": _op("SequenceReverse", use_sequence_length=True),
    "quantized_batch_norm": _op("contrib.quantized_batch_norm"),
    "deformable_psroi_pooling_no_trans": _op("contrib.DeformablePSROIPooling", 2,
                                             spatial_scale=1.0, output_dim=2, group_size=2,
                                             pooled_size=2, no_trans=True),
    "set_value_without_src": lambda mx: mx.sym._internal._set_value(name="node"),
    "moments": _op("moments", axes=(1,)),
    "sample_multinomial": _op("_internal._sample_multinomial"),
    "sample_multinomial_prob": _op("_internal._sample_multinomial", get_prob=True),
    "unique_zipfian": _op("_internal._sample_unique_zipfian", 0, range_max=5, shape=(2, 3)),
}

def _quantized_rnn(mx, **kwargs):
    inputs = {k: mx.sym.var(v) for k, v in kwargs.items() if isinstance(v, str)}
    params = {k: v for k, v in kwargs.items() if k not in inputs}
    return mx.sym.contrib.quantized_rnn(name="node", state_size=3, num_layers=1, mode="lstm",
                                        **inputs, **params)


# Inputs MXNet creates for list operators given fewer inputs than their count
# says, and quantized_rnn's node. (The mixed-precision updates are left out: MXNet makes their mom and
# weight32 inputs aux states, which their declarations here do not yet.)
CREATED_INPUT_CASES = {
    "concat_created": _op("Concat", 0, num_args=2, dim=0),
    "concat_one_given": _op("Concat", 1, num_args=3),
    "stack_created": _op("stack", 0, num_args=2),
    "khatri_rao_created": _op("khatri_rao", 0, num_args=2),
    "add_n_created": _op("add_n", 0, num_args=3),
    "crop_created": _op("Crop", 0, num_args=2),
    "quantized_concat_created": _op("contrib.quantized_concat", 0, num_args=2),
    "quantized_concat_ranges_created": _op("contrib.quantized_concat", 2),
    "amp_multicast_created": _op("amp_multicast", 0, num_outputs=2),
    "multi_all_finite_default": _op("multi_all_finite", 0),
    "multi_all_finite_created": _op("multi_all_finite", 1, num_arrays=3),
    "multi_sum_sq_created": _op("multi_sum_sq", 0, num_arrays=2),
    "multi_sgd_created": _op("multi_sgd_update", 1, num_weights=2, lrs=(0.1, 0.1),
                             wds=(0.0, 0.0)),
    "preloaded_multi_sgd_created": _op("preloaded_multi_sgd_update", 0, num_weights=2),
    "preloaded_multi_sgd_default": _op("preloaded_multi_sgd_update", 3),
    # quantized_rnn: graph inputs min_data/max_data, a "quantized" attribute, and
    # the final states only with state_outputs
    "quantized_rnn_created": _quantized_rnn,
    "quantized_rnn_min_data_given": lambda mx: _quantized_rnn(mx, min_data="lo", data="x"),
    "quantized_rnn_states": lambda mx: _quantized_rnn(mx, state_outputs=True),
}

CASES = {**ROW_CASES, **VERSION_CASES, **AMP_CASES, **FUSED_CASES, **FRONT_END_CASES,
         **DECLARATION_CASES, **CREATED_INPUT_CASES}


def build(mx, name):
    with mx.name.NameManager():
        return CASES[name](mx)


# Model-zoo networks whose optimize_for('MKLDNN') graph is MXNet's text (see
# the report of issue 7 for mobilenetv2, whose relu6 MXNet folds too).
ZOO_MODELS = ("resnet18_v1", "resnet18_v2", "squeezenet1.1", "vgg11_bn", "inceptionv3")


def optimized_model(mx, name):
    """Model ``name`` (fixed prefix) called on a variable, optimized for MKLDNN."""
    from mxnet.gluon.model_zoo import vision
    net = vision.get_model(name, prefix="net_")
    return net(mx.sym.var("data")).optimize_for("MKLDNN")
