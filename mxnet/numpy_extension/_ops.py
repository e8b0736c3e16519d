"""The operator functions of ``mx.npx`` (``npx.relu``, ``npx.convolution``...).

Each is built from its ``_npx_*`` operator declaration, like the ``mx.nd``
functions (no generated source): the signature lists the inputs, then the
parameters in MXNet's order, then ``out`` and ``name``. A call runs the
operator through the imperative invoke and returns ``mx.np.ndarray``
outputs. As in MXNet, the array inputs must be ``mx.np.ndarray``s: a legacy
``mx.nd.NDArray`` is a ``TypeError`` (convert it with ``as_np_ndarray()``).
"""
import inspect

from ..base import _Null
from ..ndarray import register as _nd_register
from ..numpy import _op
from ..numpy.multiarray import ndarray
from ..ops import registry
from ..ops.npx import NPX_ALIASES

# mx.npx functions that run an operator with MXNet's generic signature:
# short name -> parameter order where MXNet's _npx_ declaration differs from
# the legacy operator's (positional parameters follow it).
_PARAM_ORDER = {
    "deconvolution": ("kernel", "stride", "dilate", "pad", "adj", "target_shape", "num_filter",
                      "num_group", "workspace", "no_bias", "cudnn_tune", "cudnn_off", "layout"),
    "pooling": ("kernel", "pool_type", "global_pool", "cudnn_off", "pooling_convention",
                "stride", "pad", "p_value", "count_include_pad", "layout"),
    "sequence_mask": ("use_sequence_length", "value", "axis"),
}

_OP_FUNCTIONS = tuple(NPX_ALIASES) + ("relu", "sigmoid")

_P = inspect.Parameter


def _check_np_inputs(short, args, kwargs, input_names):
    """MXNet's rule: ``mx.npx`` operators take ``mx.np.ndarray`` inputs only."""
    given = list(args[:len(input_names)])
    given += [kwargs[n] for n in input_names[len(given):] if n in kwargs]
    for x in given:
        if x is not None and not isinstance(x, ndarray):
            raise TypeError(f"npx.{short}: inputs must be mx.np.ndarray, got "
                            f"{type(x).__module__}.{type(x).__name__} (a legacy NDArray "
                            "becomes one with as_np_ndarray())")


def as_np_outputs(res):
    """Give the outputs of a legacy-front-end call the ``mx.np.ndarray`` class
    (no copy: the arrays are the call's own)."""
    if isinstance(res, (list, tuple)):
        for r in res:
            r.__class__ = ndarray
        return res
    res.__class__ = ndarray
    return res


def make_op_function(op_name, short):
    """The ``mx.npx`` function ``short`` running operator ``op_name``."""
    op = registry.get(op_name)
    legacy = _nd_register.make_function(op, short)
    input_names = op.inputs + op.aux
    n_inputs = len(input_names)
    order = _PARAM_ORDER.get(short, tuple(op.params))

    def fn(*args, out=None, name=None, **kwargs):
        _check_np_inputs(short, args, kwargs, input_names)
        if len(args) > n_inputs:
            kwargs.update(zip(order, args[n_inputs:]))
            args = args[:n_inputs]
        res = legacy(*args, out=out, **kwargs)
        return res if out is not None else as_np_outputs(res)

    params = [_P(n, _P.POSITIONAL_OR_KEYWORD, default=None) for n in input_names]
    params += [_P(k, _P.POSITIONAL_OR_KEYWORD, default=_Null) for k in order]
    params += [_P("out", _P.POSITIONAL_OR_KEYWORD, default=None),
               _P("name", _P.POSITIONAL_OR_KEYWORD, default=None),
               _P("kwargs", _P.VAR_KEYWORD)]
    fn.__signature__ = inspect.Signature(params)
    fn.__name__ = fn.__qualname__ = short
    fn.__doc__ = legacy.__doc__.replace("NDArray", "mx.np.ndarray")
    fn.__module__ = "mxnet.numpy_extension"
    return fn


for _short in _OP_FUNCTIONS:
    globals()[_short] = make_op_function("_npx_" + _short, _short)


def reshape(a, newshape, reverse=False, order="C"):
    """``a`` reshaped to ``newshape``, which may hold MXNet's codes besides
    sizes: ``-1`` infers a size, ``-2`` copies the next dimension of ``a``,
    ``-3`` drops a size-1 dimension, ``-4`` copies all remaining dimensions,
    ``-5`` merges the next two and ``-6, d1, d2`` splits the next one into
    ``d1 x d2``. With ``reverse`` the codes are matched from the right."""
    _check_np_inputs("reshape", (a,), {}, ("a",))
    return _op.call("_npx_reshape", [a],
                    {"newshape": newshape, "reverse": reverse, "order": order})


def nonzero(a):
    """The indices of the nonzero elements of ``a``: an int64 array of shape
    ``(count, a.ndim)``, one row per element (``np.argwhere``)."""
    _check_np_inputs("nonzero", (a,), {}, ("a",))
    return _op.call("_npx_nonzero", [a])


def constraint_check(x, msg):
    """A zero-d ``True`` when every element of the bool array ``x`` is true;
    otherwise a ``ValueError`` carrying ``msg`` (raised when the result is
    waited on, as for any operator error)."""
    _check_np_inputs("constraint_check", (x,), {}, ("x",))
    return _op.call("_npx_constraint_check", [x], {"msg": msg})


__all__ = list(_OP_FUNCTIONS) + ["reshape", "nonzero", "constraint_check"]
