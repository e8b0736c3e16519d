"""What an executor's monitor sees in backward, as MXNet 1.9.1 reports it.

MXNet runs a backward node per differentiated forward node (``fc1`` ->
``fc1_backward``) and a summing node (``sum_grad``) where gradients from
several consumers meet; its monitor reports each backward node's outputs
and, with ``monitor_all``, first its inputs (a graph variable first under
its own name). The backward graph here is built from other rules, so the
reports are rebuilt from the gradient pass's log (``gradient.build_backward``)
with MXNet's layouts:

- a node's outputs are the gradients of its forward inputs (aux states
  aside): ``<node>_backward_output<i>``, no index when there is one. A
  gradient nothing needs is not computed: it shows as zeros of the input's
  shape, where MXNet shows an output buffer it did not write;
- its inputs, for the operators in ``_INPUTS`` (what MXNet's backward node
  of that operator reads: the head gradient of an output, a forward input
  or a forward output, under MXNet's labels); other operators' backward
  inputs are not reported;
- operators whose gradient passes the head gradient on unchanged
  (``elemwise_add``, ``add_n``) have no backward node in MXNet: nothing;
- a sum of 2 to 7 gradients is ``sum_grad``: ``sum_grad_arg<k>`` per term
  (monitor_all), then ``sum_grad_output``; from 8 terms on MXNet adds them
  in a chain of which only the last node shows: ``sum_grad_final_input0``
  (monitor_all) and ``sum_grad_final_output``, both the total.

Reports keep the order the nodes were differentiated in; a sum comes just
before the node that consumes it (for a variable's gradient, at the end).
"""
import numpy as np

# MXNet sums fewer gradients than this in one node (MXNET_EXEC_INPLACE_GRAD_SUM_CAP).
SUM_CAP = 8

_OGRAD = (("input0", "ograd", 0),)
_OGRAD_IN2 = (("input0", "ograd", 0), ("input1", "in", 0), ("input2", "in", 1))
_OGRAD_ALL_IN = "ograd, every input"  # input0 the head gradient, then every forward input
_UNARY_OUT = (("lhs", "ograd", 0), ("rhs", "out", 0))

# operator name -> its backward node's inputs: (label, kind, index) with kind
# 'ograd' (head gradient of output index), 'in' (forward input), 'out'
# (forward output); or a function of the node's attrs giving that (None: not
# known). Checked against MXNet 1.9.1 by tests/test_executor_backward_monitor_all.py.
_INPUTS = {
    "FullyConnected": _OGRAD_IN2,
    "Convolution": _OGRAD_ALL_IN,
    "Concat": _OGRAD_ALL_IN,
    "dot": _OGRAD_IN2,
    "elemwise_mul": _OGRAD_IN2,
    "elemwise_div": _OGRAD_IN2,
    "broadcast_mul": _OGRAD_IN2,
    "elemwise_sub": _OGRAD,
    "broadcast_add": _OGRAD,
    "Flatten": _OGRAD,
    "Reshape": _OGRAD,
    "transpose": _OGRAD,
    "sum": _OGRAD,
    "mean": _OGRAD,
    "_mul_scalar": _OGRAD,
    "_plus_scalar": _OGRAD,
    "relu": _UNARY_OUT,
    "sigmoid": _UNARY_OUT,
    "tanh": _UNARY_OUT,
    "exp": _UNARY_OUT,
    "square": (("lhs", "ograd", 0), ("rhs", "in", 0)),
    "softmax": (("ograd", "ograd", 0), ("output", "out", 0)),
    "log_softmax": (("ograd", "ograd", 0), ("output", "out", 0)),
    "SoftmaxOutput": (("input0", "out", 0), ("input1", "in", 1)),
    "LinearRegressionOutput": (("input0", "in", 1), ("input1", "out", 0)),
    "LogisticRegressionOutput": (("input0", "in", 1), ("input1", "out", 0)),
    "LeakyReLU": lambda attrs: ((("input0", "ograd", 0), ("input1", "in", 0),
                                 ("input2", "out", 0)) if attrs.act_type == "leaky" else None),
    "Activation": lambda attrs: (
        (("input0", "ograd", 0), ("input1", "out", 0)) if attrs.act_type == "relu" else
        (("input0", "ograd", 0), ("input1", "out", 0), ("input2", "in", 0))
        if attrs.act_type in ("sigmoid", "tanh") else None),
}

# Operators MXNet differentiates without a backward node.
NO_NODE = frozenset(("elemwise_add", "add_n"))


def input_layout(op_name, attrs, n_inputs):
    """The (label, kind, index) inputs of ``op_name``'s MXNet backward node,
    or None when not known."""
    layout = _INPUTS.get(op_name)
    if callable(layout):
        return layout(attrs)
    if layout == _OGRAD_ALL_IN:
        return (("input0", "ograd", 0),) + tuple(
            (f"input{i + 1}", "in", i) for i in range(n_inputs))
    return layout


def backward_reports(log, steps, slot_of, shapes, dtypes):
    """{step index of ``steps``: [(name, slot or (shape, dtype), all_only)]}:
    the reports due after that step (-1: before the first); ``all_only``
    ones are for ``monitor_all`` only. ``log`` is the gradient pass's."""
    produced = {s: i for i, st in enumerate(steps) for s in st.outs}
    reports = {}
    at = [-1]

    def source(value, key):
        """The slot holding ``value`` (a traced gradient, or forward entry
        ``key`` when None); (shape, dtype) zeros of ``key`` for a gradient
        nothing computes."""
        slot = slot_of.get(key if value is None else (id(value.entry[0]), value.entry[1]))
        if slot is None:
            return zeros_of(key)
        at[0] = max(at[0], produced.get(slot, -1))
        return slot

    def zeros_of(key):
        if shapes.get(key) is None or dtypes.get(key) is None:
            return None  # (not reported)
        return tuple(shapes[key]), np.dtype(dtypes[key])

    def put(items):
        reports.setdefault(at[0], []).extend(item for item in items if item[1] is not None)

    for record in log:
        if record[0] == "sum":
            put(_sum_reports(record[1], record[2], source))
        else:
            put(_node_reports(*record[1:], source, zeros_of))
    return reports


def _sum_reports(terms, total, source):
    key = (id(total.entry[0]), total.entry[1])
    if len(terms) < SUM_CAP:
        items = [(f"sum_grad_arg{k}", source(t, key), True) for k, t in enumerate(terms)]
        return items + [("sum_grad_output", source(total, key), False)]
    return [("sum_grad_final_input0", source(total, key), True),
            ("sum_grad_final_output", source(total, key), False)]


def _node_reports(node, in_grads, out_grads, source, zeros_of):
    op = node.op
    if op.name in NO_NODE:
        return []
    attrs = node.params()
    items = []
    prefix = f"{node.name}_backward_"
    for label, kind, i in input_layout(op.name, attrs, len(node.inputs)) or ():
        if kind == "ograd":
            items.append((prefix + label, source(out_grads[i], (id(node), i)), True))
            continue
        entry = node.inputs[i] if kind == "in" else (node, i)
        src = source(None, (id(entry[0]), entry[1]))
        if kind == "in" and entry[0].op is None:  # a variable: its own name first
            items.append((entry[0].name, src, True))
        items.append((prefix + label, src, True))
    aux = set(op.aux_positions(attrs, len(node.inputs)))
    values = [(e, g) for i, (e, g) in enumerate(zip(node.inputs, in_grads)) if i not in aux]
    for i, (entry, g) in enumerate(values):
        suffix = "" if len(values) == 1 else str(i)
        key = (id(entry[0]), entry[1])
        items.append((f"{prefix}output{suffix}", zeros_of(key) if g is None else source(g, key),
                      False))
    return items
