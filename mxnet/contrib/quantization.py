"""Post-training int8 quantization of float32 models (``mx.contrib.quantization``).

``quantize_model`` (Module users) and ``quantize_net_v2`` (Gluon users) rewrite a
float32 graph the way MXNet 1.9.1 does:

* every quantizable layer (Convolution, FullyConnected, BatchNorm, relu
  Activation, max/avg Pooling, Flatten, Concat, elemwise_add) becomes its
  ``_contrib_quantized_*`` form, named ``quantized_<name>``;
* a float input of a quantized layer goes through ``_contrib_quantize_v2``
  (``<entry>_quantize``), a quantized output read by a float layer or returned
  by the graph through ``_contrib_dequantize`` (``<name>_dequantize``);
* int32 results (convolution, fully connected, add) are narrowed back to 8 bits
  by ``_contrib_requantize`` (``requantize_<name>``);
* weights and biases named in the parameters are quantized offline to int8
  variables ``<param>_quantize`` with their ranges ``..._min``/``..._max``.

Calibration runs the float model over ``calib_data`` and records the range of
each tensor that is quantized at run time (the graph inputs and the outputs
of the requantized layers and batch norms): its min and max ('naive') or the
threshold with the least KL divergence from its histogram ('entropy', through
``_contrib_calibrate_entropy``). The ranges become the ``min_calib_range`` /
``max_calib_range`` attributes of the quantize, requantize and batch-norm
nodes; without calibration ('none') those ranges are found at run time.

In 'smart' mode layers that only move or select data (activation, pooling,
flatten, concat, add, batch norm) are quantized only between quantized
layers, so no quantize/dequantize pair is spent on them; 'full' quantizes
every layer it can.
"""
import logging
import os
import tempfile

import numpy as np

from .. import ndarray
from ..context import Context, cpu
from ..io import DataBatch, DataDesc, DataIter
from ..ndarray import load as nd_load
from ..ndarray import save as nd_save
from ..ops import registry
from ..symbol import load as sym_load
from ..symbol.symbol import Group, Node, Symbol, topo_order

__all__ = ["quantize_model", "quantize_model_mkldnn", "quantize_graph", "calib_graph",
           "quantize_net", "quantize_net_v2", "combine_histogram"]

_QUANTIZED_OPS = {
    "Convolution": "_contrib_quantized_conv",
    "FullyConnected": "_contrib_quantized_fully_connected",
    "BatchNorm": "_contrib_quantized_batch_norm",
    "Activation": "_contrib_quantized_act",
    "Pooling": "_contrib_quantized_pooling",
    "Flatten": "_contrib_quantized_flatten",
    "Concat": "_contrib_quantized_concat",
    "elemwise_add": "_contrib_quantized_elemwise_add",
}
_INT32_RESULTS = ("Convolution", "FullyConnected", "elemwise_add")  # need a requantize
_WEIGHTED = ("Convolution", "FullyConnected")
_SMART_SKIPPABLE = ("BatchNorm", "Activation", "Pooling", "Flatten", "Concat", "elemwise_add")
_CALIBRATED_OUTPUTS = _INT32_RESULTS + ("BatchNorm",)


# ----------------------------------------------------------------------------------------
# the graph rewrite
# ----------------------------------------------------------------------------------------

def _can_quantize(node):
    """Whether MXNet has a quantized form for this call of the node's op."""
    name = node.op.name
    if name not in _QUANTIZED_OPS:
        return False
    params = node.params()
    if name == "Activation":
        return params.act_type == "relu"
    if name == "Pooling":
        return params.pool_type in ("max", "avg") and params.layout in (None, "NCHW", "NCDHW")
    if name == "Convolution":
        return params.num_group == 1 and len(params.kernel) in (2, 3) \
            and params.layout in (None, "NCHW", "NCDHW")
    return True


def _consumers(nodes):
    users = {id(n): [] for n in nodes}
    for n in nodes:
        for src, _ in n.inputs:
            users[id(src)].append(n)
    return users


def _choose(nodes, heads, excluded_symbols, excluded_operators, quantize_mode):
    """Ids of the nodes to quantize."""
    chosen = {id(n) for n in nodes if n.op is not None and n.name not in excluded_symbols
              and n.op.name not in excluded_operators and _can_quantize(n)}
    if quantize_mode != "smart":
        return chosen
    users = _consumers(nodes)
    head_ids = {id(n) for n, _ in heads}
    changed = True
    while changed:
        changed = False
        for n in nodes:
            if id(n) not in chosen or n.op.name not in _SMART_SKIPPABLE:
                continue
            data_inputs = [src for src, _ in _data_inputs(n)]
            fed = all(id(src) in chosen for src in data_inputs)
            read = id(n) not in head_ids and any(id(u) in chosen for u in users[id(n)])
            if not (fed and read):
                chosen.discard(id(n))
                changed = True
    return chosen


def _data_inputs(node):
    """The inputs of a quantizable node that carry activations (not parameters)."""
    name = node.op.name
    if name in ("Concat", "elemwise_add"):
        return node.inputs
    return node.inputs[:1]


def _entry_name(entry):
    node, index = entry
    return node.output_names()[index] if node.op is not None else node.name


class _Rewriter:
    """Builds the quantized graph from the float one, node by node."""

    def __init__(self, quantized_dtype, offline_params):
        self.out_type = quantized_dtype
        self.offline = set(offline_params or ())
        self.float_of = {}      # old entry key -> new float entry
        self.quantized_of = {}  # old entry key -> new (data, min, max) entries
        self.dequantized = {}
        self.calib_layers = []

    @staticmethod
    def _key(entry):
        return (id(entry[0]), entry[1])

    def float_entry(self, entry):
        key = self._key(entry)
        if key in self.float_of:
            return self.float_of[key]
        if key not in self.dequantized:
            triple = self.quantized_of[key]
            node = Node(registry.get("_contrib_dequantize"), f"{entry[0].name}_dequantize",
                        {}, list(triple))
            self.dequantized[key] = (node, 0)
        return self.dequantized[key]

    def quantized_entry(self, entry, out_type=None):
        key = self._key(entry)
        if key not in self.quantized_of:
            name = _entry_name(entry)
            node = Node(registry.get("_contrib_quantize_v2"), f"{name}_quantize",
                        {"out_type": out_type or self.out_type}, [self.float_of[key]])
            self.quantized_of[key] = [(node, 0), (node, 1), (node, 2)]
            self.calib_layers.append(name)
        return self.quantized_of[key]

    def _offline(self, entry):
        """(int8 variable, min variable, max variable) of a weight or bias."""
        node = entry[0]
        if node.op is not None or node.name not in self.offline:
            return self.quantized_entry(entry, "int8")
        name = f"{node.name}_quantize"
        return [(Node(None, n, {}), 0) for n in (name, f"{name}_min", f"{name}_max")]

    def copy(self, node):
        new = Node(node.op, node.name, node.attrs, [self.float_entry(e) for e in node.inputs])
        for i in range(node.num_outputs()):
            self.float_of[(id(node), i)] = (new, i)

    def quantize(self, node):
        op_name = node.op.name
        qop = registry.get(_QUANTIZED_OPS[op_name])
        attrs = {k: v for k, v in node.attrs.items() if k in qop.params}
        if op_name in _WEIGHTED:
            data = self.quantized_entry(node.inputs[0])
            params = [self._offline(e) for e in node.inputs[1:]]
            inputs = [data[0]] + [p[0] for p in params] + data[1:] \
                + [r for p in params for r in p[1:]]
        elif op_name == "BatchNorm":
            data = self.quantized_entry(node.inputs[0])
            inputs = [data[0]] + [self.float_entry(e) for e in node.inputs[1:]] + data[1:]
        elif op_name in ("Concat", "elemwise_add"):
            parts = [self.quantized_entry(e) for e in node.inputs]
            inputs = [p[0] for p in parts] + [r for p in parts for r in p[1:]]
        else:
            inputs = self.quantized_entry(node.inputs[0])
        qnode = Node(qop, f"quantized_{node.name}", attrs, inputs)
        outputs = [(qnode, 0), (qnode, 1), (qnode, 2)]
        if op_name in _INT32_RESULTS:
            requantize = Node(registry.get("_contrib_requantize"), f"requantize_{node.name}",
                              {"out_type": self.out_type}, outputs)
            outputs = [(requantize, 0), (requantize, 1), (requantize, 2)]
        if op_name in _CALIBRATED_OUTPUTS:
            self.calib_layers.append(_entry_name((node, 0)))
        self.quantized_of[(id(node), 0)] = outputs


def _quantize_symbol(sym, ctx=None, excluded_symbols=None, excluded_operators=None,
                     offline_params=None, quantized_dtype="int8", quantize_mode="smart",
                     quantize_granularity="tensor-wise"):
    """The quantized graph of ``sym`` and the names of the tensors to calibrate."""
    if quantize_granularity != "tensor-wise":
        raise ValueError(f"quantize_granularity '{quantize_granularity}' is not supported "
                         "here; use 'tensor-wise'")
    if quantize_mode not in ("full", "smart"):
        raise ValueError(f"unknown quantize_mode {quantize_mode!r}, expected 'full' or "
                         "'smart'")
    heads = sym._outputs
    nodes = topo_order(heads)
    chosen = _choose(nodes, heads, set(excluded_symbols or ()), set(excluded_operators or ()),
                     quantize_mode)
    rewriter = _Rewriter(quantized_dtype, offline_params)
    for node in nodes:
        if id(node) in chosen:
            rewriter.quantize(node)
        else:
            rewriter.copy(node)
    return Symbol([rewriter.float_entry(e) for e in heads]), rewriter.calib_layers


def _format_range(value):
    # MXNet writes calibrated ranges with six decimals; the file is what runs later
    return f"{float(value):f}"


def _calibrate_quantized_sym(qsym, th_dict):
    """A copy of ``qsym`` with the ranges of ``th_dict`` (tensor name -> (min, max)) set
    on its quantize, requantize and batch-norm nodes."""
    if not th_dict:
        return qsym
    copies = {}
    for node in topo_order(qsym._outputs):
        new = Node(node.op, node.name, node.attrs,
                   [(copies[id(src)], i) for src, i in node.inputs])
        key = _calibration_key(node)
        if key in th_dict:
            lo, hi = th_dict[key]
            new.attrs["min_calib_range"] = _format_range(lo)
            new.attrs["max_calib_range"] = _format_range(hi)
        copies[id(node)] = new
    return Symbol([(copies[id(n)], i) for n, i in qsym._outputs])


def _calibration_key(node):
    """Name of the float tensor whose range calibrates this node, if any."""
    if node.op is None:
        return None
    name = node.op.name
    if name == "_contrib_quantize_v2" and node.name.endswith("_quantize"):
        return node.name[:-len("_quantize")]
    if name == "_contrib_requantize" and node.name.startswith("requantize_"):
        return node.name[len("requantize_"):] + "_output"
    if name == "_contrib_quantized_batch_norm" and node.name.startswith("quantized_"):
        return node.name[len("quantized_"):] + "_output"
    return None


def _quantize_params(qsym, params, th_dict):
    """Parameters of ``qsym``: int8 weights and biases with their (1,)-shaped ranges
    (quantized over their own min and max), other parameters as given."""
    quantized = {}
    for name in qsym.list_arguments():
        if name.endswith(("weight_quantize", "bias_quantize")):
            param = params[name[:-len("_quantize")]]
            val, vmin, vmax = ndarray.contrib.quantize(
                data=param, min_range=ndarray.min(param), max_range=ndarray.max(param),
                out_type="int8")
            quantized[name], quantized[f"{name}_min"], quantized[f"{name}_max"] = val, vmin, vmax
        elif name in params:
            quantized[name] = params[name]
        elif name.endswith(("_min", "_max")) and name[:-4] in th_dict:
            quantized[name] = ndarray.array([th_dict[name[:-4]][name.endswith("_max")]])
    return quantized


# ----------------------------------------------------------------------------------------
# calibration statistics
# ----------------------------------------------------------------------------------------

def combine_histogram(old_hist, arr, new_min, new_max, new_th):
    """Add the values of ``arr`` to a histogram ``(hist, edges, min, max, threshold)``
    centred on zero, widening it (by whole bins of the same width on both sides) when
    ``new_th`` exceeds its threshold; returns the updated tuple."""
    hist, edges, old_min, old_max, old_th = old_hist
    lo, hi = min(old_min, new_min), max(old_max, new_max)
    if new_th <= old_th:
        counts, _ = np.histogram(arr, bins=len(hist), range=(-old_th, old_th))
        return hist + counts, edges, lo, hi, old_th
    width = 2 * old_th / len(hist)
    extra = int((new_th - old_th) // width + 1)
    th = old_th + extra * width
    counts, new_edges = np.histogram(arr, bins=len(hist) + 2 * extra, range=(-th, th))
    counts[extra:extra + len(hist)] += hist
    return counts, new_edges, lo, hi, th


class _LayerHistogramCollector:
    """Histograms (8001 bins centred on zero) of the named tensors, for 'entropy'
    calibration; ``collect(name, array)`` is a monitor callback."""

    def __init__(self, num_bins=8001, include_layer=None, logger=None):
        self.hist_dict = {}
        self.num_bins = num_bins
        self.include_layer = include_layer
        self.logger = logger

    def collect(self, name, arr):
        if self.include_layer is not None and name not in self.include_layer:
            return
        arr = arr.asnumpy()
        lo, hi = float(arr.min()), float(arr.max())
        th = max(abs(lo), abs(hi))
        if self.logger:
            self.logger.debug("Collecting layer %s histogram of shape %s", name, arr.shape)
        if name in self.hist_dict:
            self.hist_dict[name] = combine_histogram(self.hist_dict[name], arr, lo, hi, th)
        else:
            hist, edges = np.histogram(arr, bins=self.num_bins, range=(-th, th))
            self.hist_dict[name] = (hist, edges, lo, hi, th)


class _LayerOutputMinMaxCollector:
    """Running min and max of the named tensors, for 'naive' calibration."""

    def __init__(self, quantized_dtype, include_layer=None, logger=None):
        self.min_max_dict = {}
        self.quantized_dtype = quantized_dtype
        self.include_layer = include_layer
        self.logger = logger

    def collect(self, name, arr):
        if self.include_layer is not None and name not in self.include_layer:
            return
        lo, hi = ndarray.min(arr).asscalar(), ndarray.max(arr).asscalar()
        if name in self.min_max_dict:
            old_lo, old_hi = self.min_max_dict[name]
            lo, hi = min(old_lo, lo), max(old_hi, hi)
        self.min_max_dict[name] = (lo, hi)
        if self.logger:
            self.logger.debug("Collecting layer %s min_range=%f, max_range=%f", name, lo, hi)


def _optimal_thresholds(hist_dict, quantized_dtype, num_quantized_bins=255, logger=None):
    """{name: (min, max)} from histograms by KL-divergence calibration; a tensor that is
    never negative gets (0, threshold) when the quantized type may be uint8."""
    th_dict = {}
    for name, (hist, edges, lo, hi, _) in hist_dict.items():
        unsigned = lo >= 0 and quantized_dtype in ("auto", "uint8")
        # a non-negative tensor spends all levels on one side: twice as many, plus zero
        bins = 2 * num_quantized_bins + 1 if unsigned else num_quantized_bins
        th, divergence = ndarray.contrib.calibrate_entropy(
            hist=ndarray.array(hist, ctx=cpu()), hist_edges=ndarray.array(edges, ctx=cpu()),
            num_quantized_bins=bins)
        th = float(th.asscalar())
        th_dict[name] = (0.0, th) if unsigned else (-th, th)
        if logger:
            logger.debug("layer=%s, min_val=%f, max_val=%f, th=%f, divergence=%f", name, lo,
                         hi, th, float(divergence.asscalar()))
    return th_dict


def _collect_layer_statistics(sym, arg_params, aux_params, data, collector, ctx,
                              max_num_examples=None, logger=None):
    """Run the float graph ``sym`` over ``data`` and hand every tensor the collector
    asks for to ``collector.collect``; returns the number of examples seen."""
    if not isinstance(data, DataIter):
        raise ValueError(f"Only supports data as a type of DataIter, while received type "
                         f"{type(data)}")
    from ..module import Module
    internals = sym.get_internals()
    available = set(internals.list_outputs())
    names = [n for n in (collector.include_layer or available) if n in available]
    data_names = [d.name if isinstance(d, DataDesc) else d[0] for d in data.provide_data]
    mod = Module(Group([internals[n] for n in names]), data_names=data_names,
                 label_names=None, context=ctx)
    mod.bind(for_training=False, data_shapes=data.provide_data)
    mod.set_params(arg_params, aux_params, allow_extra=True)
    num_batches = num_examples = 0
    for batch in data:
        mod.forward(DataBatch(data=batch.data), is_train=False)
        for name, arr in zip(names, mod.get_outputs()):
            collector.collect(name, arr)
        num_batches += 1
        num_examples += data.batch_size
        if max_num_examples is not None and num_examples >= max_num_examples:
            break
    if logger:
        logger.info("Collected statistics from %d batches with batch_size=%d", num_batches,
                    data.batch_size)
    return num_examples


# ----------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------

def _check_options(excluded_sym_names, excluded_op_names, quantized_dtype,
                   quantize_granularity):
    for what, value in (("excluded_sym_names", excluded_sym_names),
                        ("excluded_op_names", excluded_op_names)):
        if value is not None and not isinstance(value, list):
            raise ValueError(f"{what} must be a list of strings, while received type "
                             f"{type(value)}")
    if quantized_dtype not in ("int8", "uint8", "auto"):
        raise ValueError(f"unknown quantized_dtype {quantized_dtype} received, expected "
                         "`int8`, `uint8` or `auto`")
    if quantize_granularity not in ("tensor-wise", "channel-wise"):
        raise ValueError(f"unknown quantize_granularity {quantize_granularity} received, "
                         "expected `tensor-wise` or `channel-wise`")


def _make_collector(calib_mode, quantized_dtype, calib_layer, custom=None, logger=None):
    if calib_mode == "entropy":
        return _LayerHistogramCollector(include_layer=calib_layer, logger=logger)
    if calib_mode == "naive":
        return _LayerOutputMinMaxCollector(quantized_dtype, include_layer=calib_layer,
                                           logger=logger)
    if calib_mode == "customize" and custom is not None:
        return custom
    raise ValueError(f"unknown calibration mode {calib_mode} received, expected `none`, "
                     "`naive`, `entropy` or `customize`")


def quantize_model(sym, arg_params, aux_params, data_names=("data",),
                   label_names=("softmax_label",), ctx=cpu(), excluded_sym_names=None,
                   excluded_op_names=None, calib_mode="entropy", calib_data=None,
                   num_calib_examples=None, quantized_dtype="int8", quantize_mode="smart",
                   quantize_granularity="tensor-wise", logger=None):
    """Quantize a float32 symbol and its parameters; returns ``(qsym, qarg_params,
    aux_params)``.

    ``calib_mode`` 'none' leaves the ranges to run time; 'naive' takes each calibrated
    tensor's min and max over ``calib_data`` (a DataIter, at most
    ``num_calib_examples`` examples); 'entropy' the KL-optimal threshold of its
    histogram. ``excluded_sym_names``/``excluded_op_names`` list node names and op names
    kept in float32. ``quantized_dtype`` is the 8-bit type of activations: 'int8',
    'uint8' or 'auto' (uint8 where the calibrated range is not negative).
    ``data_names`` and ``label_names`` are accepted for compatibility: the inputs
    calibrated with come from ``calib_data.provide_data``."""
    _check_options(excluded_sym_names, excluded_op_names, quantized_dtype,
                   quantize_granularity)
    if logger:
        logger.info("Quantizing symbol")
    qsym, calib_layer = _quantize_symbol(
        sym, ctx, excluded_sym_names, excluded_op_names, list(arg_params), quantized_dtype,
        quantize_mode, quantize_granularity)
    th_dict = {}
    if calib_mode is not None and calib_mode != "none":
        if not isinstance(ctx, Context):
            raise ValueError(f"currently only supports single ctx, while received {ctx}")
        if calib_data is None:
            raise ValueError(f"calib_data must be provided when calib_mode={calib_mode}")
        if not isinstance(calib_data, DataIter):
            raise ValueError(f"calib_data must be of DataIter type when calib_mode="
                             f"{calib_mode}, while received type {type(calib_data)}")
        collector = _make_collector(calib_mode, quantized_dtype, calib_layer, logger=logger)
        num_examples = _collect_layer_statistics(sym, arg_params, aux_params, calib_data,
                                                 collector, ctx, num_calib_examples, logger)
        if logger:
            logger.info("Collected layer outputs from FP32 model using %d examples",
                        num_examples)
        th_dict = _thresholds(collector, calib_mode, quantized_dtype, logger)
        qsym = _calibrate_quantized_sym(qsym, th_dict)
    if logger:
        logger.info("Quantizing parameters")
    return qsym, _quantize_params(qsym, arg_params, th_dict), aux_params


def _thresholds(collector, calib_mode, quantized_dtype, logger):
    if calib_mode == "entropy":
        return _optimal_thresholds(collector.hist_dict, quantized_dtype, logger=logger)
    return dict(collector.min_max_dict)


def quantize_model_mkldnn(sym, arg_params, aux_params, data_names=("data",),
                          label_names=("softmax_label",), ctx=cpu(), excluded_sym_names=None,
                          excluded_op_names=None, calib_mode="entropy", calib_data=None,
                          num_calib_examples=None, quantized_dtype="int8",
                          quantize_mode="smart", quantize_granularity="tensor-wise",
                          logger=None):
    """``quantize_model`` for the CPU. MXNet first fuses conv/bn/relu chains into oneDNN
    subgraph nodes; here the unfused quantized graph is returned (same results)."""
    if not isinstance(ctx, Context):
        raise ValueError(f"currently only supports single ctx, while received {ctx}")
    if ctx.device_type != "cpu":
        raise ValueError("quantize_model_mkldnn only support Intel cpu platform with "
                         "MKL-DNN Backend")
    return quantize_model(sym, arg_params, aux_params, data_names, label_names, ctx,
                          excluded_sym_names, excluded_op_names, calib_mode, calib_data,
                          num_calib_examples, quantized_dtype, quantize_mode,
                          quantize_granularity, logger)


def quantize_graph(sym, arg_params, aux_params, ctx=cpu(), excluded_sym_names=None,
                   excluded_op_names=None, calib_mode="entropy", quantized_dtype="int8",
                   quantize_mode="full", quantize_granularity="tensor-wise",
                   LayerOutputCollector=None, logger=None):
    """Quantize a float32 symbol without calibrating it; returns ``(qsym, qarg_params,
    aux_params, collector)``. Feed the float model's tensors to ``collector.collect(name,
    array)`` (as a monitor callback), then call ``calib_graph``. ``calib_mode``
    'customize' uses the given ``LayerOutputCollector`` (it needs a ``min_max_dict``)."""
    _check_options(excluded_sym_names, excluded_op_names, quantized_dtype,
                   quantize_granularity)
    if not isinstance(ctx, Context):
        raise ValueError(f"currently only supports single ctx, while received {ctx}")
    if logger:
        logger.info("Quantizing graph")
    qsym, calib_layer = _quantize_symbol(
        sym, ctx, excluded_sym_names, excluded_op_names, list(arg_params), quantized_dtype,
        quantize_mode, quantize_granularity)
    collector = None
    if calib_mode is not None and calib_mode != "none":
        collector = _make_collector(calib_mode, quantized_dtype, calib_layer,
                                    LayerOutputCollector, logger)
    return qsym, _quantize_params(qsym, arg_params, {}), aux_params, collector


def calib_graph(qsym, arg_params, aux_params, collector, calib_mode="entropy",
                quantized_dtype="int8", logger=logging):
    """Set the ranges a filled ``collector`` (from ``quantize_graph``) measured on
    ``qsym``; returns ``(qsym, qarg_params, aux_params)``."""
    if calib_mode is None or calib_mode == "none":
        raise ValueError("please set calibration mode to naive or entropy.")
    if calib_mode not in ("naive", "entropy", "customize"):
        raise ValueError(f"unknown calibration mode {calib_mode} received, expected `none`, "
                         "`naive`, `entropy` or `customize`")
    if logger:
        logger.info("Calculating thresholds for quantization")
    th_dict = _thresholds(collector, calib_mode, quantized_dtype, logger)
    qsym = _calibrate_quantized_sym(qsym, th_dict)
    return qsym, _quantize_params(qsym, arg_params, th_dict), aux_params


def _as_data_iter(calib_data):
    """``calib_data`` as a DataIter with its ``provide_data``."""
    if isinstance(calib_data, DataIter):
        return calib_data, calib_data.provide_data
    from ..io import NDArrayIter
    batches = [b if isinstance(b, (list, tuple)) else [b] for b in calib_data]
    if not batches:
        raise ValueError("calib_data is empty")
    data = ndarray.concat(*[b[0] for b in batches], dim=0)
    it = NDArrayIter(data, batch_size=batches[0][0].shape[0])
    return it, it.provide_data


def quantize_net_v2(network, quantized_dtype="auto", quantize_mode="full",
                    quantize_granularity="tensor-wise", exclude_layers=None,
                    exclude_layers_match=None, exclude_operators=None, calib_data=None,
                    data_shapes=None, calib_mode="none", num_calib_examples=None, ctx=cpu(),
                    LayerOutputCollector=None, logger=None):
    """Quantize a Gluon HybridBlock into a ``SymbolBlock`` running the quantized graph.

    ``exclude_layers`` names nodes to keep in float32, ``exclude_layers_match`` adds
    every node whose name contains one of the strings, ``exclude_operators`` op names.
    ``calib_data`` (a DataIter or an iterable of batches) both calibrates and gives the
    input shapes; otherwise ``data_shapes`` (DataDesc list) is required."""
    from .. import model
    from ..gluon import SymbolBlock
    from ..symbol import var
    network.hybridize()
    if calib_data is not None:
        calib_data, shapes = _as_data_iter(calib_data)
        data_shapes = data_shapes or shapes
    if not data_shapes:
        raise ValueError("data_shapes required")
    data_shapes = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in data_shapes]
    network(*[ndarray.zeros(d.shape) for d in data_shapes])
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "float")
        network.export(prefix, epoch=0)
        symnet, args, auxs = model.load_checkpoint(prefix, 0)
    exclude_layers = list(exclude_layers or [])
    for pattern in exclude_layers_match or []:
        exclude_layers += [n for n in symnet.get_internals().list_outputs()
                           if pattern in n]
        exclude_layers += [node.name for node in topo_order(symnet._outputs)
                           if pattern in node.name]
    if logger:
        logger.info("These layers have been excluded %s", exclude_layers)
    qsym, qargs, auxs, collector = quantize_graph(
        symnet, args, auxs, ctx, exclude_layers, exclude_operators, calib_mode,
        quantized_dtype, quantize_mode, quantize_granularity, LayerOutputCollector, logger)
    if calib_mode is not None and calib_mode != "none":
        if calib_data is None:
            raise ValueError(f"calib_data must be provided when calib_mode={calib_mode}")
        num_examples = _collect_layer_statistics(symnet, args, auxs, calib_data, collector,
                                                 ctx, num_calib_examples, logger)
        if logger:
            logger.info("Collected layer output values from FP32 model using %d examples",
                        num_examples)
        qsym, qargs, auxs = calib_graph(qsym, args, auxs, collector, calib_mode,
                                        quantized_dtype, logger)
    net = SymbolBlock(qsym, [var(d.name) for d in data_shapes])
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "quantized-0000.params")
        saved = {f"arg:{k}": v.as_in_context(cpu()) for k, v in qargs.items()}
        saved.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in auxs.items()})
        nd_save(fname, saved)
        net.collect_params().load(fname, cast_dtype=True, dtype_source="saved")
    net.collect_params().reset_ctx(ctx)
    return net


def quantize_net(network, quantized_dtype="auto", quantize_mode="full", exclude_layers=None,
                 exclude_layers_match=None, exclude_operators=None, calib_data=None,
                 data_shapes=None, calib_mode="none", num_calib_examples=None, ctx=cpu(),
                 logger=None):
    """``quantize_net_v2`` with tensor-wise granularity (MXNet marks it deprecated)."""
    import warnings
    warnings.warn("WARNING: This will be deprecated after MXNet 2.0, please use "
                  "quantize_net_v2.")
    return quantize_net_v2(network, quantized_dtype, quantize_mode, "tensor-wise",
                           exclude_layers, exclude_layers_match, exclude_operators,
                           calib_data, data_shapes, calib_mode, num_calib_examples, ctx,
                           None, logger)


def _load_sym(sym, logger=None):
    """A Symbol, or the symbol saved in the JSON file at path ``sym``."""
    if isinstance(sym, str):
        if logger:
            logger.info("Loading symbol from file %s", sym)
        return sym_load(sym)
    if isinstance(sym, Symbol):
        return sym
    raise ValueError(f"_load_sym only accepts Symbol or path to the symbol file, while "
                     f"received type {type(sym)}")


def _load_params(params, logger=None):
    """(arg_params, aux_params) from a ``.params`` path or a pair of dicts."""
    if isinstance(params, str):
        if logger:
            logger.info("Loading params from file %s", params)
        arg_params, aux_params = {}, {}
        for key, value in nd_load(params).items():
            kind, name = key.split(":", 1)
            {"arg": arg_params, "aux": aux_params}.get(kind, {})[name] = value
        return arg_params, aux_params
    if isinstance(params, (tuple, list)) and len(params) == 2:
        return params[0], params[1]
    raise ValueError("Unsupported params provided. Must be either a path to the param file or"
                     " a pair of dictionaries representing arg_params and aux_params")
