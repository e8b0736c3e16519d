"""Automatic differentiation: a tape recorded by invoke, walked in reverse.

Under ``record()``, each operator call whose inputs lead back to a marked
variable leaves a ``Node`` on its outputs: the inputs' values and where they
came from, the outputs' values, and the rule that maps output gradients to
input gradients. ``backward`` orders the nodes reachable from the heads and
applies the rules, which are written with ``mx.nd`` operators, so recording
the backward pass itself (``create_graph=True``) gives higher-order
gradients.
"""
import sys
import threading

import numpy as np

from .base import MXNetError
from .ops.registry import call_gradient

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad",
           "Function", "get_symbol"]


class _State(threading.local):
    recording = False
    training = False
    retaining = False  # set while a backward pass runs with retain_graph
    # While backward() runs: the set of id()s of variables whose .grad a node
    # has written in place (grad_req 'write'; CachedOp does), the node then
    # returning that .grad array as the gradient. None otherwise: grad()
    # leaves .grad alone.
    grads_written = None


_state = _State()
_ndarray = np.ndarray
_getrefcount = sys.getrefcount
_ND = None  # mxnet.ndarray, imported on first use (it imports this module)


def _load_nd():
    global _ND
    from . import ndarray
    _ND = ndarray
    return ndarray


def set_recording(is_recording):
    """Turn recording on or off; returns the previous state."""
    prev, _state.recording = _state.recording, bool(is_recording)
    return prev


def set_training(train_mode):
    """Turn training mode on or off (affects Dropout, BatchNorm); returns the previous state."""
    prev, _state.training = _state.training, bool(train_mode)
    return prev


def is_recording():
    return _state.recording


def is_training():
    return _state.training


def _retaining():
    """Whether the backward pass running on this thread keeps the graph
    (``retain_graph``): a recorded node's backward may then run again, so it
    must leave what it saved from its forward pass in place."""
    return _state.retaining


class _Scope:
    """Sets the recording and/or training flags (None: leave it) for a ``with``
    block and restores them after. A class rather than a generator-based
    context manager: ``record()`` opens one per training step, and this costs
    a third as much."""
    __slots__ = ("_recording", "_training", "_prev")

    def __init__(self, recording, training):
        self._recording = recording
        self._training = training
        self._prev = None

    def __enter__(self):
        state = _state
        self._prev = state.recording, state.training
        if self._recording is not None:
            state.recording = bool(self._recording)
        if self._training is not None:
            state.training = bool(self._training)

    def __exit__(self, *exc):
        state = _state
        if self._recording is not None:
            state.recording = self._prev[0]
        if self._training is not None:
            state.training = self._prev[1]


def record(train_mode=True):
    """Scope in which operator calls are recorded for differentiation
    (and, by default, layers run in training mode)."""
    return _Scope(True, train_mode)


def pause(train_mode=False):
    """Scope in which recording is off (e.g. metric updates inside ``record``)."""
    return _Scope(False, train_mode)


def train_mode():
    """Scope in which layers behave as in training, without changing recording."""
    return _Scope(None, True)


def predict_mode():
    """Scope in which layers behave as in inference, without changing recording."""
    return _Scope(None, False)


class Node:
    """One recorded call: input values and their sources, output values, rule.

    ``sources[i]`` is ``(node, index)`` for an input computed by a recorded
    call, the variable NDArray itself for a marked variable, or None. The
    rule is the registered ``op``'s gradient with its ``attrs``, or, for an
    ``autograd.Function``, ``backward_fn(inputs, outputs, out_grads)``.
    """
    __slots__ = ("name", "op", "attrs", "backward_fn", "inputs", "sources", "outputs", "freed")

    def __init__(self, name, op, attrs, backward_fn, inputs, sources, outputs):
        self.name = name
        self.op = op
        self.attrs = attrs
        self.backward_fn = backward_fn
        self.inputs = inputs
        self.sources = sources
        self.outputs = outputs
        self.freed = False


def _source(x):
    if x._ag_node is not None:
        return (x._ag_node, x._ag_index)
    if x._grad_req != "null":
        return x
    return None


def _record(op, attrs, inputs, outputs):
    """Called by invoke while recording: attach a Node to ``outputs`` if any
    input depends on a variable. Inlined ``_source``: this runs for every op."""
    sources = []
    linked = False
    for x in inputs:
        node = x._ag_node
        if node is not None:
            sources.append((node, x._ag_index))
            linked = True
        elif x._grad_req != "null":
            sources.append(x)
            linked = True
        else:
            sources.append(None)
    if linked:
        node = Node(op.name, op, attrs, None, list(inputs), sources, list(outputs))
        if len(outputs) == 1:
            y = outputs[0]
            y._ag_node = node
            y._ag_index = 0
            return
        for i, y in enumerate(outputs):
            y._ag_node = node
            y._ag_index = i


def _attach(node, inputs, outputs):
    """Make ``node`` the producer of ``outputs``. The node keeps the arrays
    themselves (an alias per array would cost an NDArray each, and would keep
    the placeholders of pending outputs alive, forcing a copy when the engine
    stores their results); ``_linked`` makes aliases at backward time for the
    few arrays that moved in the graph since."""
    node.inputs = list(inputs)
    node.outputs = list(outputs)
    for i, y in enumerate(outputs):
        y._ag_node = node
        y._ag_index = i


def _alias(x, node, index):
    """``x``'s data at graph position ``(node, index)``."""
    if x._ag_node is node and x._ag_index == index:
        return x
    alias = x.detach()
    alias._ag_node = node
    alias._ag_index = index
    return alias


def _linked(node):
    """The node's inputs and outputs where the graph had them when it was
    recorded: a later in-place write under ``record()`` re-links the array it
    wrote, so a recorded gradient (``create_graph``) must go through an alias."""
    inputs = []
    for x, src in zip(node.inputs, node.sources):
        if type(src) is tuple:
            x = _alias(x, src[0], src[1])
        elif src is None and (x._ag_node is not None or x._grad_req != "null"):
            x = x.detach()  # recorded as a constant: stays one
        inputs.append(x)
    return inputs, [_alias(y, node, i) for i, y in enumerate(node.outputs)]


def mark_variables(variables, gradients, grad_reqs="write"):
    """Make ``variables`` differentiable, with gradient buffers ``gradients``."""
    from .ndarray import NDArray
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not (len(variables) == len(gradients) == len(grad_reqs)):
        raise MXNetError("mark_variables: variables, gradients and grad_reqs must have "
                         f"equal lengths, got {len(variables)}, {len(gradients)}, {len(grad_reqs)}")
    for var, g, req in zip(variables, gradients, grad_reqs):
        if req not in ("write", "add", "null"):
            raise MXNetError(f"mark_variables: grad_req must be 'write', 'add' or 'null', got {req!r}")
        var._grad = g
        var._grad_req = req
        var._ag_node = None


def _topo_order(heads):
    """Nodes reachable from ``heads`` in an order where each node comes after
    every node that consumes its outputs (reverse topological)."""
    order, seen = [], set()  # Nodes hash by identity
    for h in heads:
        node = h._ag_node
        if node is None or node in seen:
            continue
        # Depth first; a node is pushed twice, the second time (under None) to
        # be emitted once everything it feeds from has been.
        stack = [node]
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append(node)
            stack.append(None)
            for s in node.sources:
                if type(s) is tuple and s[0] not in seen:
                    stack.append(s[0])
    order.reverse()
    return order


def _accumulate(table, key, g):
    prev = table.get(key)
    table[key] = g if prev is None else prev + g


def _head_grad(nd, h):
    """The default head gradient, ones shaped like ``h``: made directly for a
    dense host array (its shape and dtype are known even while it is pending)."""
    if type(h) is nd.NDArray and h._ctx.device_typeid == 1:
        ones = np.empty(h._data.shape, h._data.dtype)
        ones.fill(1)  # np.ones does this, plus ~0.5 us of Python
        return nd.ndarray._new(ones, h._ctx)
    return nd.ones_like(h)


def _run_backward(heads, head_grads, variables, retain_graph, create_graph, train_mode):
    """Gradients of ``heads`` w.r.t. every variable reached (or ``variables``)."""
    nd = _ND or _load_nd()
    NDArray = nd.NDArray
    if isinstance(heads, NDArray):
        heads = [heads]
    if head_grads is None:
        head_grads = [None] * len(heads)
    elif isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise MXNetError(f"backward: got {len(heads)} heads but {len(head_grads)} head gradients")
    for h in heads:
        if h._ag_node is None and h._grad_req == "null":
            raise MXNetError("backward: cannot differentiate an array that was not computed "
                             "from a variable under autograd.record() (call attach_grad on the "
                             "inputs and compute inside record())")
        if h._ag_node is not None and h._ag_node.freed:
            raise MXNetError("backward: the graph of this array was freed by an earlier "
                             "backward; pass retain_graph=True to backward twice")
    grads = {}  # (id(node), index) or id(variable) -> gradient NDArray
    leaves = {}
    state = _state
    prev = state.recording, state.training, state.retaining
    state.recording, state.training = bool(create_graph), bool(train_mode)
    state.retaining = bool(retain_graph)
    try:
        for h, hg in zip(heads, head_grads):
            g = _head_grad(nd, h) if hg is None else hg
            if h._ag_node is not None:
                _accumulate(grads, (id(h._ag_node), h._ag_index), g)
            else:
                _accumulate(grads, id(h), g)
                leaves[id(h)] = h
        for node in _topo_order(heads):
            outputs = node.outputs
            if len(outputs) == 1:
                g = grads.pop((id(node), 0), None)
                if g is None:
                    continue
                out_grads = [g]
            else:
                out_grads = [grads.pop((id(node), i), None) for i in range(len(outputs))]
                if all(g is None for g in out_grads):
                    continue
                out_grads = [nd.zeros_like(y) if g is None else g
                             for g, y in zip(out_grads, outputs)]
            op = node.op
            sources = node.sources
            # Without create_graph nothing is recorded, so graph links do not matter.
            inputs, outputs = _linked(node) if create_graph else (node.inputs, outputs)
            if op is None:
                in_grads = node.backward_fn(inputs, outputs, out_grads)
            elif op.gradient is None:
                raise MXNetError(f"{op.name}: operator has no gradient rule, so nothing "
                                 "recorded through it can be differentiated")
            else:
                # Which inputs lead to a variable; tuples for the usual one or
                # two inputs (a comprehension costs a function call in 3.11).
                if len(sources) == 1:
                    needed = (sources[0] is not None,)
                elif len(sources) == 2:
                    needed = (sources[0] is not None, sources[1] is not None)
                else:
                    needed = [src is not None for src in sources]
                in_grads = call_gradient(op, needed, nd, node.attrs, inputs, outputs, out_grads)
            if len(in_grads) != len(sources):
                raise MXNetError(f"{node.name}: gradient rule returned {len(in_grads)} "
                                 f"gradients for {len(sources)} inputs")
            for src, g in zip(sources, in_grads):
                if src is None or g is None:
                    continue
                if type(src) is tuple:
                    key = (id(src[0]), src[1])
                else:
                    key = id(src)
                    leaves[key] = src
                prev_g = grads.get(key)  # _accumulate, inlined
                grads[key] = g if prev_g is None else prev_g + g
            if not retain_graph:
                node.freed = True
                node.inputs = node.outputs = None
    finally:
        state.recording, state.training, state.retaining = prev
    if variables is None:
        return [(leaves[k], grads[k]) for k in leaves]
    return [grads.get(id(v)) for v in variables]


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute gradients of ``heads`` and store them in the variables' ``.grad``
    according to each variable's ``grad_req`` (write replaces, add accumulates)."""
    prev, _state.grads_written = _state.grads_written, set()
    try:
        results = _run_backward(heads, head_grads, None, retain_graph, False, train_mode)
    finally:
        _state.grads_written = prev
    while results:
        var, g = results.pop()
        if var._grad_req == "null" or var._grad is None:
            continue
        if g is var._grad:
            pass  # written in place
        elif var._grad_req == "add":
            var._grad += g
        elif not _take_buffer(var._grad, g):
            g.copyto(var._grad)
        var._fresh_grad = True  # Trainer.step warns about gradients not refreshed


def _take_buffer(target, g):
    """Make the fresh gradient ``g``'s buffer the data of ``target`` (a ``.grad``
    array) instead of copying it, when nothing else can see either buffer: both
    arrays idle, ``g`` referenced only by the caller and its buffer only by ``g``
    (a plain contiguous array it owns, in host or CuPy memory), ``target``'s old
    buffer viewed by nothing. Returns whether it did."""
    data = g._data
    old = target._data
    kind = type(data)
    if g._stype != "default" or target._stype != "default" or type(old) is not kind \
            or (kind is not _ndarray and not kind.__module__.startswith("cupy")) \
            or g._var.pending or target._var.pending \
            or g._var.exc is not None or target._var.exc is not None:
        return False
    # References: the caller's name, this frame's argument, getrefcount's argument.
    if _getrefcount(g) > 3 or _getrefcount(data) > 3 or _getrefcount(old) > 3:
        return False
    if data.base is not None or not data.flags.c_contiguous \
            or not getattr(data.flags, "writeable", True) \
            or data.shape != old.shape or data.dtype != old.dtype \
            or (g._ctx is not target._ctx and g._ctx != target._ctx):
        return False
    target._data = data
    target._var.version += 1  # a write, for caches keyed on versions
    return True


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    """Gradients of ``heads`` w.r.t. ``variables``, returned (``.grad`` is untouched).

    With ``create_graph=True`` the gradient computation is recorded, so the
    results can be differentiated again."""
    from .ndarray import NDArray
    single = isinstance(variables, NDArray)
    if single:
        variables = [variables]
    if retain_graph is None:
        retain_graph = create_graph
    for v in variables:
        if v._grad_req == "null" and v._ag_node is None:
            raise MXNetError("grad: every variable must have had attach_grad() called "
                             "(or be marked with mark_variables)")
    prev, _state.grads_written = _state.grads_written, None  # (even inside a backward())
    try:
        results = _run_backward(heads, head_grads, variables, retain_graph, create_graph,
                                train_mode)
    finally:
        _state.grads_written = prev
    from . import ndarray as nd
    out = [nd.zeros_like(v) if g is None else g for v, g in zip(variables, results)]
    for v, g in zip(variables, out):
        if type(g) is not type(v) and g._stype == "default" == v._stype:
            g.__class__ = type(v)  # an mx.np variable gets an mx.np gradient
    return out


class Function:
    """A user-defined differentiable function: subclass and implement
    ``forward(*inputs)`` and ``backward(*output_grads)`` on NDArrays.

    ``save_for_backward(*arrays)`` keeps values for ``backward`` in
    ``self.saved_tensors``. Call the instance like a function."""

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *output_grads):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, *inputs):
        from .ndarray import NDArray
        if self._used:
            raise MXNetError(f"{type(self).__name__}: each Function instance can be "
                             "called only once; create a new instance per call")
        self._used = True
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        if is_recording():
            sources = [_source(x) for x in inputs]
            if any(s is not None for s in sources):
                def rule(_inputs, _outputs, out_grads):
                    with pause(train_mode=is_training()):
                        g = self.backward(*out_grads)
                    g = [g] if isinstance(g, NDArray) else list(g)
                    if len(g) != len(inputs):
                        raise MXNetError(f"{type(self).__name__}.backward returned {len(g)} "
                                         f"gradients for {len(inputs)} inputs")
                    return g
                _attach(Node(type(self).__name__, None, None, rule, None, sources, None),
                        list(inputs), outs)
        return outputs


def get_symbol(x):
    """The Symbol of the recorded computation that produced ``x``: recorded
    variables become ``var0``, ``var1``... and operator calls ``node_0``..."""
    from .symbol.register import attr_string
    from .symbol.symbol import Node as GraphNode, Symbol
    if x._ag_node is None:
        raise MXNetError("get_symbol: the array is not part of a recorded computation graph "
                         "(compute it under autograd.record() from arrays with attach_grad)")
    built, variables = {}, {}
    for node in reversed(_topo_order([x])):
        if node.op is None:
            raise MXNetError(f"get_symbol: {node.name} (a custom Function or CachedOp) cannot "
                             "be expressed as a symbol")
        inputs = []
        for src, value in zip(node.sources, node.inputs):
            if type(src) is tuple:
                inputs.append((built[id(src[0])], src[1]))
                continue
            key = id(src) if src is not None else id(value)
            if key not in variables:
                variables[key] = GraphNode(None, f"var{len(variables)}")
            inputs.append((variables[key], 0))
        params = node.op.params
        attrs = {k: attr_string(v) for k, v in node.attrs.items()
                 if k in params and v != params[k].default}
        built[id(node)] = GraphNode(node.op, f"node_{len(built)}", attrs, inputs)
    return Symbol([(built[id(x._ag_node)], x._ag_index)])
