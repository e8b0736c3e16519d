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
- its inputs, for the operators ``backward_inputs`` knows (what MXNet's
  backward node of that operator reads: head gradients, forward inputs,
  forward outputs including hidden ones, max pooling's oneDNN workspace,
  derived here from the forward input), under MXNet's labels, reported
  before the node runs (BatchNorm's backward then updates the moving
  statistics they show); with the ``zeros_like`` / ``zeros_without_dtype``
  nodes MXNet adds around some of them;
- other operators' backward inputs are not reported. Among the common
  layers these are: MXNet's older operators (InstanceNorm,
  SliceChannel/split, SVMOutput, SwapAxis, L2Normalization, Sequence*,
  Pad, ROIPooling: MXNet 1.9.1's ``monitor_all`` hangs on them, so there is
  nothing to match; their outputs are named after the forward inputs,
  ``<node>_backward_data``, as MXNet names them), LeakyReLU rrelu (its
  random slopes are not kept), channels-last max pooling, batch_dot (two
  backward nodes in MXNet), MakeLoss, and operators
  not checked against MXNet (Crop's output, which MXNet names
  ``<node>_backward_arg0``, is ``<node>_backward_output`` here);
- max pooling's workspace matches MXNet's where MXNet's oneDNN kernel
  reads plain-layout data (as from a variable); after a oneDNN convolution
  MXNet pools in a blocked layout (channels innermost in blocks of 16 on an
  AVX-512 CPU), whose workspace bytes come in that order instead; for
  non-float32 data MXNet's value is not known;
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

from ..base import MXNetError
from .backward_inputs import Derived, Layout, layout, workspace

# MXNet sums fewer gradients than this in one node (MXNET_EXEC_INPLACE_GRAD_SUM_CAP).
SUM_CAP = 8

# Operators MXNet differentiates without a backward node.
NO_NODE = frozenset(("elemwise_add", "add_n"))


def report_slots(reports):
    """The slots ``reports`` (from ``backward_reports``) read, derived values' included."""
    return {s for items in reports.values() for _, source, _ in items
            for s in _slots_read(source)}


def _slots_read(source):
    if type(source) is int:
        return (source,)
    return source.slots if isinstance(source, Derived) else ()


def report_value(name, source, values, ctx, zeros):
    """The array report ``name`` shows, from ``source`` (a slot of ``values``,
    a Derived value, or the (shape, dtype) given to ``zeros(ctx, shape,
    dtype)``)."""
    needed = _slots_read(source)
    if not needed:
        return zeros(ctx, *source)
    if any(values[s] is None for s in needed):
        # A fused training forward frees what its backward does not read.
        raise MXNetError(f"monitor: backward report '{name}' shows a forward value that the "
                         f"last forward did not keep (it ran without a monitor); set the "
                         f"monitor callback before forward")
    return values[source] if type(source) is int else source(values, ctx)


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
        return zeros_of(key) if slot is None else slot

    def zeros_of(key):
        if shapes.get(key) is None or dtypes.get(key) is None:
            return None  # (not reported)
        return tuple(shapes[key]), np.dtype(dtypes[key])

    def put(items):
        """Report ``items`` once their values are computed, and after earlier ones."""
        items = [item for item in items if item[1] is not None]
        at[0] = max([at[0]] + [produced.get(s, -1) for _, source, _ in items
                               for s in _slots_read(source)])
        reports.setdefault(at[0], []).extend(items)

    for record in log:
        if record[0] == "sum":
            put(_sum_reports(record[1], record[2], source))
        else:
            # A node's inputs before the step computing its outputs runs: it
            # may update them in place (BatchNorm's moving statistics).
            for items in _node_reports(*record[1:], source, zeros_of):
                put(items)
    return reports


def _sum_reports(terms, total, source):
    key = (id(total.entry[0]), total.entry[1])
    if len(terms) < SUM_CAP:
        items = [(f"sum_grad_arg{k}", source(t, key), True) for k, t in enumerate(terms)]
        return items + [("sum_grad_output", source(total, key), False)]
    return [("sum_grad_final_input0", source(total, key), True),
            ("sum_grad_final_output", source(total, key), False)]


def _node_reports(node, in_grads, out_grads, source, zeros_of):
    """The node's reports in two groups: those before its backward node runs
    (its inputs, and nodes MXNet runs first), and its outputs (and nodes
    MXNet runs after)."""
    if node.op.name in NO_NODE:
        return []
    attrs = node.params()
    found = layout(node.op.name, attrs, len(node.inputs)) or Layout(())
    before, after = [], []
    for suffix, i, first in found.zeros_nodes:
        (before if first else after).extend(_zeros_node(node, suffix, i, source, zeros_of))
    prefix = f"{node.name}_backward_"
    for label, kind, i in found.inputs:
        if kind == "ograd":
            before.append((prefix + label, source(out_grads[i], (id(node), i)), True))
        elif kind in ("ws_grad", "ws"):
            _workspace_items(before, node, attrs, prefix + label, kind, source, zeros_of)
        else:
            entry = node.inputs[i] if kind == "in" else (node, i)
            src = source(None, (id(entry[0]), entry[1]))
            if kind == "in" and entry[0].op is None:  # a variable: its own name first
                before.append((entry[0].name, src, True))
            before.append((prefix + label, src, True))
    return before, _output_items(node, attrs, found, in_grads, source, zeros_of) + after


def _output_items(node, attrs, found, in_grads, source, zeros_of):
    """The backward node's outputs: the gradients of the forward inputs but
    aux states and those other nodes differentiate."""
    skip = set(node.op.aux_positions(attrs, len(node.inputs)))
    skip.update(i for _, i, _ in found.zeros_nodes)
    values = [(i, e, g) for i, (e, g) in enumerate(zip(node.inputs, in_grads)) if i not in skip]
    names = node.op.input_names(attrs) if found.named_outputs else None
    items = []
    for n, (i, entry, g) in enumerate(values):
        label = names[i] if names else "output" + ("" if len(values) == 1 else str(n))
        key = (id(entry[0]), entry[1])
        items.append((f"{node.name}_backward_{label}",
                      zeros_of(key) if g is None else source(g, key), False))
    return items


def _zeros_node(node, suffix, i, source, zeros_of):
    """Reports of the ``zeros_like`` node MXNet differentiates input ``i`` with."""
    entry = node.inputs[i]
    key = (id(entry[0]), entry[1])
    name = f"{node.name}_{suffix}_backward_"
    items = [(entry[0].name, source(None, key), True)] if entry[0].op is None else []
    return items + [(name + "input0", source(None, key), True),
                    (name + "output", zeros_of(key), False)]


def _workspace_items(items, node, attrs, name, kind, source, zeros_of):
    """Adds to ``items`` max pooling's hidden workspace (int32, output 0's
    shape): its head gradient, which a ``zeros_without_dtype`` node makes
    (reported before everything else of the node), or its value, derived
    from the forward input."""
    out = zeros_of((id(node), 0))
    if out is None:
        return
    if kind == "ws_grad":
        zeros = (out[0], np.dtype(np.int32))
        items.insert(0, ("zeros_without_dtype_output", zeros, False))
        items.append((name, zeros, True))
        return
    data = source(None, (id(node.inputs[0][0]), node.inputs[0][1]))
    if type(data) is int:
        items.append((name, workspace(attrs, data), True))
