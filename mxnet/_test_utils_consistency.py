"""``check_consistency``: one symbol run on several contexts and dtypes must agree.

Each entry of ``ctx_list`` binds an executor (its ``ctx``, input shapes and
``type_dict``). All executors get the same inputs; the executor with the most
precise output dtype (or the caller's ``ground_truth``) is the reference.
Inference outputs, then training outputs and the gradients of a backward pass
whose head gradients are the outputs themselves, are compared with
tolerances that follow the less precise dtype of each pair.
"""
import numpy as np

from .base import MXNetError
from ._test_utils_compare import assert_almost_equal, default_atols, default_rtols

__all__ = ["check_consistency"]

_PRECISION = {np.dtype(np.float16): 0, np.dtype(np.float32): 1, np.dtype(np.float64): 2}


def _tolerance(tol, dtype, defaults):
    if isinstance(tol, dict):
        return tol.get(np.dtype(dtype), defaults[np.dtype(dtype)])
    return defaults.get(np.dtype(dtype), 0) if tol is None else tol


def _random_inputs(arrays, scale, use_uniform, rand_type):
    def draw(shape):
        if use_uniform:
            return np.random.uniform(-scale, scale, size=shape).astype(rand_type)
        return np.random.normal(0.0, scale, size=shape).astype(rand_type)
    return {name: draw(arr.shape) for name, arr in arrays.items()}


def _bind(symbols, ctx_list, grad_req):
    if not isinstance(symbols, (list, tuple)):
        symbols = [symbols] * len(ctx_list)
    if len(symbols) != len(ctx_list):
        raise MXNetError(f"check_consistency: sym: expected one Symbol or one per ctx_list "
                         f"entry ({len(ctx_list)}), got {len(symbols)}")
    executors = []
    for sym, spec in zip(symbols, ctx_list):
        if not isinstance(spec, dict) or "ctx" not in spec:
            raise MXNetError(f"check_consistency: ctx_list: expected dicts with a 'ctx' key "
                             f"and input shapes, got {spec!r}")
        kwargs = dict(spec)
        ctx = kwargs.pop("ctx")
        executors.append(sym.simple_bind(ctx, grad_req=grad_req, **kwargs))
    return executors


def _compare(executors, results, reference, names, rtol, atol, equal_nan, raise_on_err, what):
    for i, (exe, values) in enumerate(zip(executors, results)):
        if i == reference:
            continue
        for name in names:
            if name not in values or name not in results[reference]:
                continue
            expected = results[reference][name]
            ref_dtype = expected.dtype
            got = values[name]
            looser = min((got.dtype, ref_dtype), key=lambda d: _PRECISION.get(np.dtype(d), 3))
            try:
                assert_almost_equal(got, expected.astype(got.dtype, copy=False),
                                    rtol=_tolerance(rtol, looser, default_rtols()),
                                    atol=_tolerance(atol, looser, default_atols()),
                                    names=(f"{what} {name} on {exe._ctx} ({got.dtype})",
                                           f"reference ({ref_dtype})"),
                                    equal_nan=equal_nan)
            except AssertionError as err:
                if raise_on_err:
                    raise
                print(err)


def _host(arrays):
    return {name: arr.asnumpy() for name, arr in arrays.items() if arr is not None}


def check_consistency(sym, ctx_list, scale=1.0, grad_req="write", arg_params=None,
                      aux_params=None, rtol=None, atol=None, raise_on_err=True,
                      ground_truth=None, equal_nan=False, use_uniform=False,
                      rand_type=np.float64):
    """Run ``sym`` on every context/dtype of ``ctx_list`` and check that they agree.

    ``ctx_list``: dicts ``{'ctx': mx.gpu(0), 'data': (2, 3), 'type_dict':
    {'data': np.float16}}``. ``arg_params``/``aux_params``: host inputs by
    name (default: random, normal with std ``scale`` or uniform in
    ``[-scale, scale]`` with ``use_uniform``, cast to ``rand_type``).
    ``rtol``/``atol``: a number or a dict dtype -> number (default: per dtype).
    ``ground_truth``: reference values by output/argument name instead of the
    most precise executor. Returns the reference values used (outputs and
    gradients by name)."""
    if not ctx_list:
        raise MXNetError("check_consistency: ctx_list: expected at least one context entry")
    executors = _bind(sym, ctx_list, grad_req)
    first = executors[0]
    args = _random_inputs(first.arg_dict, scale, use_uniform, rand_type)
    args.update(arg_params or {})
    auxs = _random_inputs(first.aux_dict, scale, use_uniform, rand_type)
    auxs.update(aux_params or {})
    for exe in executors:
        for name, arr in exe.arg_dict.items():
            arr[:] = np.asarray(args[name]).astype(arr.dtype)
        for name, arr in exe.aux_dict.items():
            arr[:] = np.asarray(auxs[name]).astype(arr.dtype)

    precision = [_PRECISION.get(np.dtype(exe.outputs[0].dtype), 3) if exe.outputs else 0
                 for exe in executors]
    reference = int(np.argmax(precision))
    output_names = list(first.output_dict)

    for exe in executors:
        exe.forward(is_train=False)
    results = [_host(exe.output_dict) for exe in executors]
    if ground_truth is not None:
        results.append(dict(ground_truth))
        reference = len(results) - 1
    _compare(executors, results, reference, output_names, rtol, atol, equal_nan,
             raise_on_err, "inference output")

    if grad_req == "null":
        return results[reference]
    for exe in executors:
        exe.forward(is_train=True)
        exe.backward([out.copy() for out in exe.outputs])
    results = [dict(_host(exe.output_dict), **_host(exe.grad_dict)) for exe in executors]
    if ground_truth is not None:
        results.append(dict(ground_truth))
    names = output_names + list(first.grad_dict)
    _compare(executors, results, reference, names, rtol, atol, equal_nan, raise_on_err,
             "training output/gradient")
    return results[reference]
