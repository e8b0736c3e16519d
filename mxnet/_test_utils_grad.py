"""Forward and gradient checks for ``mx.test_utils``.

The code under test (MXNet's ``sym`` argument) is either

* a Python function of NDArrays returning an NDArray or a list of them, run
  eagerly and differentiated with ``mx.autograd``. A ``location`` list is
  passed positionally (names come from the function's parameters), a dict by
  keyword; or
* a Symbol: anything with MXNet's ``list_arguments()``/``list_outputs()``/
  ``list_auxiliary_states()``/``bind()`` interface, run through the Executor
  it binds (``arg_dict``, ``grad_dict``, ``forward``, ``backward``,
  ``outputs``). This serves ``mx.sym`` once the symbol layer exists, with no
  change here.

Numeric gradients use central differences of a scalar made from the outputs,
computed in float64 from the outputs' values, and divide by the step the
perturbed value actually took in the array's dtype.
"""
import inspect

import numpy as np

from .base import MXNetError
from .context import current_context
from . import autograd
from . import ndarray as nd
from ._test_utils_compare import assert_almost_equal, default_numeric_eps

__all__ = ["numeric_grad", "check_numeric_gradient", "check_symbolic_forward",
           "check_symbolic_backward", "simple_forward"]


def _is_symbol(obj):
    return hasattr(obj, "list_arguments") and hasattr(obj, "bind")


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _parameters(fn):
    """(positional names, required names, takes *args) of ``fn``; None when unknown."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p.name for p in params if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return ([p.name for p in positional], required,
            any(p.kind == p.VAR_POSITIONAL for p in params))


class _FunctionTarget:
    """A Python function of NDArrays, differentiated with autograd."""

    def __init__(self, fn, location):
        self.fn = fn
        self.by_name = isinstance(location, dict)
        self.aux_names = []
        signature = _parameters(fn)
        if self.by_name:
            self.arg_names = list(location)
            missing = [] if signature is None else sorted(set(signature[1]) - set(location))
            if missing:
                raise ValueError(f"the arguments and the keys of location do not match: "
                                 f"{missing} missing from location keys {sorted(location)}")
            return
        count = len(location)
        if signature is None or (signature[2] and count > len(signature[0])):
            self.arg_names = [f"arg{i}" for i in range(count)]
            return
        positional, required, _ = signature
        if not len(set(required) & set(positional)) <= count <= len(positional):
            raise ValueError(f"location has {count} entries for the arguments {positional} "
                             f"of {getattr(fn, '__name__', fn)}")
        self.arg_names = positional[:count]

    def output_names(self, count):
        return ["output"] if count == 1 else [f"output{i}" for i in range(count)]

    def _call(self, args):
        if self.by_name:
            return _as_list(self.fn(**args))
        return _as_list(self.fn(*[args[n] for n in self.arg_names]))

    def forward(self, args, aux, is_train):
        with autograd.pause(train_mode=is_train):
            return self._call(args)

    def forward_backward(self, args, aux, out_grads, grad_req, grad_init):
        for name, x in args.items():
            if grad_req[name] != "null":
                x.attach_grad(grad_req[name])
                x.grad[:] = grad_init[name]
        with autograd.record(train_mode=True):
            outputs = self._call(args)
        autograd.backward(outputs, head_grads=out_grads)
        return outputs, {n: x.grad for n, x in args.items() if grad_req[n] != "null"}


class _SymbolTarget:
    """A Symbol, run through the Executor that ``bind`` returns."""

    def __init__(self, sym, ctx):
        self.sym = sym
        self.ctx = ctx
        self.arg_names = list(sym.list_arguments())
        self.aux_names = list(sym.list_auxiliary_states())

    def output_names(self, count):
        return list(self.sym.list_outputs())

    def forward(self, args, aux, is_train):
        exe = self.sym.bind(self.ctx, args=args, grad_req="null", aux_states=aux or None)
        exe.forward(is_train=is_train)
        return list(exe.outputs)

    def forward_backward(self, args, aux, out_grads, grad_req, grad_init):
        args_grad = {n: nd.array(grad_init[n], ctx=self.ctx, dtype=x.dtype)
                     for n, x in args.items() if grad_req[n] != "null"}
        exe = self.sym.bind(self.ctx, args=args, args_grad=args_grad, grad_req=grad_req,
                            aux_states=aux or None)
        exe.forward(is_train=True)
        exe.backward(out_grads)
        return list(exe.outputs), {n: exe.grad_dict[n] for n in args_grad}


def _target(sym, location, ctx):
    if _is_symbol(sym):
        return _SymbolTarget(sym, ctx)
    if callable(sym):
        return _FunctionTarget(sym, location)
    raise MXNetError("expected a Symbol or a function of NDArrays to test, got "
                     f"{type(sym).__name__}")


def _by_name(names, values, what):
    """``values`` (a list in ``names`` order or a dict) as a dict over ``names``."""
    if isinstance(values, dict):
        if set(values) != set(names):
            raise ValueError(f"the arguments and the keys of {what} do not match: "
                             f"arguments {sorted(names)}, {what} keys {sorted(values)}")
        return {n: values[n] for n in names}
    values = _as_list(values)
    if len(values) != len(names):
        raise ValueError(f"{what} has {len(values)} entries for {len(names)} "
                         f"arguments {names}")
    return dict(zip(names, values))


def _to_nd(values, ctx, dtype):
    return {n: nd.array(v, ctx=ctx, dtype=dtype) for n, v in values.items()}


def _aux(target, aux_states, ctx, dtype):
    if aux_states is None:
        return {}
    if isinstance(target, _FunctionTarget):
        raise MXNetError("aux_states apply to Symbols only; a function under test keeps "
                         "its own state")
    return _to_nd(_by_name(target.aux_names, aux_states, "aux_states"), ctx, dtype)


def _grad_reqs(names, grad_req):
    """Per-argument grad_req from a str, a list (argument order) or a dict
    (arguments it omits get 'null')."""
    if isinstance(grad_req, str):
        reqs = {n: grad_req for n in names}
    elif isinstance(grad_req, dict):
        reqs = {n: grad_req.get(n, "null") for n in names}
    else:
        reqs = dict(zip(names, grad_req))
    for name, req in reqs.items():
        if req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req of {name} must be 'write', 'add' or 'null', "
                             f"got {req!r}")
    return reqs


def _check_float(dtype, what):
    if np.dtype(dtype).kind != "f":
        raise MXNetError(f"{what}: finite differences need a float dtype, got "
                         f"{np.dtype(dtype).name}")


def _central_differences(evaluate, values, names, eps):
    """d evaluate / d values[name] for each name in ``names``, one element at a time.

    ``values`` maps names to contiguous NumPy arrays, perturbed in place and
    restored; ``evaluate(values)`` returns a float."""
    grads = {}
    for name in names:
        flat = values[name].reshape(-1)
        grad = np.zeros(flat.size, dtype=np.float64)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            up, f_up = float(flat[i]), evaluate(values)
            flat[i] = original - eps
            down, f_down = float(flat[i]), evaluate(values)
            flat[i] = original
            if up == down:
                raise MXNetError(f"numeric gradient of {name}: step {eps} vanishes at "
                                 f"value {float(original)} in {flat.dtype}; pass a "
                                 "larger eps")
            grad[i] = (f_up - f_down) / (up - down)
        grads[name] = grad.reshape(values[name].shape)
    return grads


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32):
    """Finite-difference gradients of the sum of all outputs, as a dict of NumPy
    arrays (``dtype``) per argument in ``location``.

    ``executor`` is an Executor (``arg_dict``, ``aux_dict``, ``forward``,
    ``outputs``) or a function of NDArrays; ``location`` gives the point, as a
    dict of arrays per argument name or a list in argument order."""
    _check_float(dtype, "numeric_grad")
    if hasattr(executor, "arg_dict"):
        names = list(executor.arg_dict)
        values = _by_name(names, location, "location") if not isinstance(location, dict) \
            else dict(location)
        aux = dict(aux_states or {})

        def run(vals):
            for n, v in vals.items():
                executor.arg_dict[n][:] = v
            for n, v in aux.items():
                executor.aux_dict[n][:] = v
            executor.forward(is_train=use_forward_train)
            return executor.outputs
    elif callable(executor):
        target = _FunctionTarget(executor, location)
        values = _by_name(target.arg_names, location, "location")
        ctx = current_context()

        def run(vals):
            return target.forward(_to_nd(vals, ctx, dtype), {}, use_forward_train)
    else:
        raise MXNetError("numeric_grad: expected an Executor or a function of NDArrays, "
                         f"got {type(executor).__name__}")
    values = {n: np.array(v.asnumpy() if hasattr(v, "asnumpy") else v, dtype=dtype)
              for n, v in values.items()}

    def evaluate(vals):
        return sum(float(np.sum(o.asnumpy(), dtype=np.float64)) for o in run(vals))
    grads = _central_differences(evaluate, values, list(values), eps)
    return {n: g.astype(dtype) for n, g in grads.items()}


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None,
                           atol=None, grad_nodes=None, use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Assert that the gradients computed by backward match finite differences.

    ``sym`` is a Symbol or a function of NDArrays (see the module docstring);
    ``location`` gives every argument, as a list in argument order or a dict.
    The outputs are reduced to a scalar with random weights (so every output
    element matters), and the gradients of the arguments in ``grad_nodes``
    (all by default; a list, or a dict of grad_req) are compared with
    ``assert_almost_equal`` under the names NUMERICAL_<arg> and BACKWARD_<arg>.
    ``numeric_eps`` defaults to ``default_numeric_eps()[dtype]``."""
    _check_float(dtype, "check_numeric_gradient")
    if grad_stype_dict and any(s != "default" for s in grad_stype_dict.values()):
        raise MXNetError("check_numeric_gradient: sparse gradient storage is not supported "
                         f"yet, got grad_stype_dict={grad_stype_dict}")
    ctx = ctx or current_context()
    eps = default_numeric_eps()[np.dtype(dtype)] if numeric_eps is None else numeric_eps
    target = _target(sym, location, ctx)
    values = {n: np.array(v.asnumpy() if hasattr(v, "asnumpy") else v, dtype=dtype)
              for n, v in _by_name(target.arg_names, location, "location").items()}
    aux = _aux(target, aux_states, ctx, dtype)
    if grad_nodes is None:
        grad_nodes = {n: "write" for n in target.arg_names}
    elif not isinstance(grad_nodes, dict):
        grad_nodes = {n: "write" for n in grad_nodes}
    unknown = set(grad_nodes) - set(target.arg_names)
    if unknown:
        raise MXNetError(f"check_numeric_gradient: grad_nodes {sorted(unknown)} are not "
                         f"arguments ({target.arg_names})")
    reqs = _grad_reqs(target.arg_names, grad_nodes)

    outputs = target.forward(_to_nd(values, ctx, dtype), aux, use_forward_train)
    projections = [np.random.uniform(size=o.shape).astype(dtype) for o in outputs]
    weights = [p.astype(np.float64) for p in projections]
    zeros = {n: np.zeros(v.shape, dtype=dtype) for n, v in values.items()}
    _, symbolic = target.forward_backward(
        _to_nd(values, ctx, dtype), aux, [nd.array(p, ctx=ctx, dtype=dtype) for p in projections],
        reqs, zeros)

    def evaluate(vals):
        outs = target.forward(_to_nd(vals, ctx, dtype), aux, use_forward_train)
        return sum(float(np.sum(o.asnumpy() * w)) for o, w in zip(outs, weights))
    checked = [n for n in target.arg_names if reqs[n] != "null"]
    numeric = _central_differences(evaluate, values, checked, eps)
    for name in checked:
        assert_almost_equal(numeric[name].astype(dtype), symbolic[name], rtol, atol,
                            names=(f"NUMERICAL_{name}", f"BACKWARD_{name}"))


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Run ``sym`` (a Symbol or a function of NDArrays) in inference mode at
    ``location`` and assert each output almost equals ``expected`` (a list in
    output order or a dict by output name); returns the output NDArrays."""
    ctx = ctx or current_context()
    target = _target(sym, location, ctx)
    args = _to_nd(_by_name(target.arg_names, location, "location"), ctx, dtype)
    outputs = target.forward(args, _aux(target, aux_states, ctx, dtype), False)
    names = target.output_names(len(outputs))
    expected = _by_name(names, expected, "expected")
    for name, out in zip(names, outputs):
        assert_almost_equal(expected[name], out, rtol, atol, equal_nan=equal_nan,
                            names=(f"EXPECTED_{name}", f"FORWARD_{name}"))
    return outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req="write", ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Run forward and backward of ``sym`` at ``location`` with head gradients
    ``out_grads`` and assert the argument gradients almost equal ``expected``
    (a list in argument order, or a dict naming some arguments). With
    ``grad_req='add'`` the gradient buffers start from random values and the
    accumulated amount is checked. Returns the gradient NDArrays by name."""
    if grad_stypes and any(s != "default" for s in grad_stypes.values()):
        raise MXNetError("check_symbolic_backward: sparse gradient storage is not supported "
                         f"yet, got grad_stypes={grad_stypes}")
    ctx = ctx or current_context()
    target = _target(sym, location, ctx)
    args = _to_nd(_by_name(target.arg_names, location, "location"), ctx, dtype)
    reqs = _grad_reqs(target.arg_names, grad_req)
    init = {n: (np.random.normal(size=x.shape) if reqs[n] == "add"
                else np.zeros(x.shape)).astype(dtype) for n, x in args.items()}
    aux = _aux(target, aux_states, ctx, dtype)
    if isinstance(out_grads, dict):
        count = len(target.forward(args, aux, True))
        out_grads = [out_grads[n] for n in target.output_names(count)]
    heads = [nd.array(g, ctx=ctx, dtype=dtype) for g in _as_list(out_grads)]
    _, grads = target.forward_backward(args, aux, heads, reqs, init)
    if not isinstance(expected, dict):
        expected = dict(zip(target.arg_names, _as_list(expected)))
    for name, want in expected.items():
        if reqs.get(name, "null") == "null":
            continue
        got = grads[name].asnumpy() - init[name]
        assert_almost_equal(want, got, rtol, atol, equal_nan=equal_nan,
                            names=(f"EXPECTED_{name}", f"BACKWARD_{name}"))
    return grads


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Outputs of ``sym`` (a Symbol, or a function called with ``inputs`` as
    keywords) as NumPy arrays: the array itself when there is one output."""
    ctx = ctx or current_context()
    target = _target(sym, inputs, ctx)
    args = {n: nd.array(v, ctx=ctx) for n, v in _by_name(target.arg_names, inputs,
                                                        "inputs").items()}
    outputs = [o.asnumpy() for o in target.forward(args, {}, is_train)]
    return outputs[0] if len(outputs) == 1 else outputs
