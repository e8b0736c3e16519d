"""``mx.viz``: a text summary of a network (``print_summary``) and a
graphviz drawing of it (``plot_network``; the ``graphviz`` package is an
optional dependency, needed only for the drawing).

Both read the symbol's JSON, so they show what MXNet shows, including its
parameter counting rules: only FullyConnected, Convolution, BatchNorm (gamma
and beta, with shapes) and Embedding layers count parameters, from the
channels of their non-variable inputs.
"""
import copy
import json
import warnings

from .base import MXNetError
from .symbol import Symbol

__all__ = ["print_summary", "plot_network"]


def _str2tuple(text):
    """``'(3, 3)'`` -> ``['3', '3']``."""
    return [part.strip() for part in text.strip("()[] ").split(",") if part.strip()]


def _shape_text(shape):
    return "x".join(str(x) for x in shape)


def _row(fields, positions):
    """One table row: each field cut or padded to end at its column position."""
    line = ""
    for field, stop in zip(fields, positions):
        line += str(field)
        line = line[:stop]
        line += " " * (stop - len(line))
    return line


def _layer_params(node, in_channels, out_shapes, show_shape):
    attrs = node.get("attrs", {})
    op = node["op"]
    if op == "Convolution":
        count = in_channels * int(attrs["num_filter"]) // int(attrs.get("num_group", "1"))
        for k in _str2tuple(attrs["kernel"]):
            count *= int(k)
        if attrs.get("no_bias") != "True":
            count += int(attrs["num_filter"])
        return count
    if op == "FullyConnected":
        hidden = int(attrs["num_hidden"])
        return in_channels * hidden if attrs.get("no_bias") == "True" \
            else (in_channels + 1) * hidden
    if op == "BatchNorm" and show_shape:
        return int(out_shapes[node["name"] + "_output"][1]) * 2
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol, shape=None, line_length=120, positions=[.44, .64, .74, 1.]):
    """Print a table of the layers of ``symbol``: name (op), output shape
    without the batch axis (when ``shape``, a dict of input shapes, is
    given), parameter count and the layers feeding it, then the total.
    ``positions`` are the column ends, as fractions of ``line_length`` (or
    absolute when the last one exceeds 1)."""
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be Symbol")
    show_shape = shape is not None
    shapes = {}
    if show_shape:
        internals = symbol.get_internals()
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise ValueError("Input shape is incomplete")
        shapes = dict(zip(internals.list_outputs(), out_shapes))
    graph = json.loads(symbol.tojson())
    nodes = graph["nodes"]
    # MXNet takes the set of the first head's [node, index, version] numbers,
    # which makes node 0 (the data input) show as a previous layer.
    heads = set(graph["heads"][0])
    positions = list(positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    print("_" * line_length)
    print(_row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"], positions))
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        op = node["op"]
        # Of the variables only the first node (the data input) gets a row.
        if op == "null" and i > 0:
            continue
        out_shape = []
        if show_shape:
            key = node["name"] + "_output" if op != "null" else node["name"]
            if key in shapes:
                out_shape = shapes[key][1:]
        previous, channels = [], 0
        if op != "null":
            for entry in node["inputs"]:
                source = nodes[entry[0]]
                if source["op"] != "null" or entry[0] in heads:
                    previous.append(source["name"])
                    key = source["name"] + "_output" if source["op"] != "null" \
                        else source["name"]
                    if show_shape and key in shapes:
                        channels += int(shapes[key][1])
        count = _layer_params(node, channels, shapes, show_shape)
        total += count
        print(_row([f"{node['name']}({op})", _shape_text(out_shape), count,
                    previous[0] if previous else ""], positions))
        for name in previous[1:]:
            print(_row(["", "", "", name], positions))
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)


_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")
_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5")


def _node_look(node):
    """(label, fill colour) of an operator node, as MXNet draws it."""
    op, attrs = node["op"], node.get("attrs", {})
    if op == "Convolution":
        stride = "x".join(_str2tuple(attrs["stride"])) if "stride" in attrs else "1"
        return (f"Convolution\n{'x'.join(_str2tuple(attrs['kernel']))}/{stride}, "
                f"{attrs['num_filter']}", _COLORS[1])
    if op == "FullyConnected":
        return f"FullyConnected\n{attrs['num_hidden']}", _COLORS[1]
    if op == "BatchNorm":
        return node["name"], _COLORS[3]
    if op == "Activation":
        return f"Activation\n{attrs['act_type']}", _COLORS[2]
    if op == "LeakyReLU":
        return f"LeakyReLU\n{attrs.get('act_type', 'Leaky')}", _COLORS[2]
    if op == "Pooling":
        kernel = "x".join(_str2tuple(attrs["kernel"])) if "kernel" in attrs else "[]"
        stride = "x".join(_str2tuple(attrs["stride"])) if "stride" in attrs else "1"
        return f"Pooling\n{attrs['pool_type']}, {kernel}/{stride}", _COLORS[4]
    if op in ("Concat", "Flatten", "Reshape"):
        return node["name"], _COLORS[5]
    if op == "Softmax":
        return node["name"], _COLORS[6]
    return (attrs["op_type"] if op == "Custom" else node["name"]), _COLORS[7]


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None, node_attrs={},
                 hide_weights=True):
    """A ``graphviz.Digraph`` of ``symbol``: inputs as ovals, operators as
    coloured boxes, edges labelled with shapes (``shape`` dict) and dtypes
    (``dtype`` dict) when given; parameter variables hidden by default.
    Requires the ``graphviz`` Python package."""
    # A shared default dict is never mutated here (it is copied below).
    try:
        from graphviz import Digraph
    except ImportError:
        raise MXNetError("plot_network needs the graphviz Python package; install it with "
                         "'pip install graphviz' (and the Graphviz programs to render)") from None
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be a Symbol")
    shapes, types = {}, {}
    internals = symbol.get_internals()
    if shape is not None:
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise ValueError("Input shape is incomplete")
        shapes = dict(zip(internals.list_outputs(), out_shapes))
    if dtype is not None:
        _, out_types, _ = internals.infer_type(**dtype)
        if out_types is None:
            raise ValueError("Input type is incomplete")
        types = dict(zip(internals.list_outputs(), out_types))
    nodes = json.loads(symbol.tojson())["nodes"]
    seen, repeated = set(), set()
    for node in nodes:
        if node["op"] == "null":
            (repeated if node["name"] in seen else seen).add(node["name"])
    if repeated:
        warnings.warn("There are multiple variables with the same name in your graph, this may "
                      "result in cyclic graph. Repeated names: " + ",".join(sorted(repeated)),
                      RuntimeWarning)
    base_attr = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
                 "style": "filled"}
    base_attr.update(node_attrs)
    dot = Digraph(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        attr = copy.deepcopy(base_attr)
        if node["op"] == "null":
            if node["name"].endswith(_WEIGHT_SUFFIXES):
                if hide_weights:
                    hidden.add(node["name"])
                continue
            label, attr["shape"], attr["fillcolor"] = node["name"], "oval", _COLORS[0]
        else:
            label, attr["fillcolor"] = _node_look(node)
        dot.node(name=node["name"], label=label, **attr)
    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = node["inputs"][:1] if node["op"] == "_contrib_BilinearResize2D" \
            else node["inputs"]
        for entry in inputs:
            source = nodes[entry[0]]
            if source["name"] in hidden:
                continue
            key = source["name"]
            if source["op"] != "null":
                key += "_output"
                if "num_outputs" in source.get("attrs", {}):
                    key += str(int(source["attrs"]["num_outputs"]) - 1)
            label = ""
            if shapes:
                label = _shape_text(shapes[key][1:])
            if types:
                label += "(" + types[key].__name__ + ")"
            dot.edge(tail_name=node["name"], head_name=source["name"], dir="back",
                     arrowtail="open", label=label)
    return dot
