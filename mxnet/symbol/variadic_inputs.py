"""The input names MXNet 1.9.1 gives operators that take a list of inputs.

``mx.sym.Concat(num_args=2)`` creates variables ``concat0_arg0`` and
``concat0_arg1`` for the inputs it is not given, as MXNet does for any
operator call; for a list operator the names depend on the count parameter
(``arg<i>``, ``array_<i>``, ``weight_<i>``/``grad_<i>`` per updated weight,
then the shared ``lrs``/``wds`` of the preloaded updates). MXNet also bounds
some counts below (``num_args`` of ``Concat`` must be at least 1).
Measured on MXNet 1.9.1 by listing the arguments of calls given no inputs.
"""
from ..base import MXNetError


def _args(n):
    return [f"arg{i}" for i in range(n)]


def _per_item(*names, shared=()):
    """``<name>_<i>`` for each of ``names`` per item i, then ``shared``."""
    return lambda n: [f"{name}_{i}" for i in range(n) for name in names] + list(shared)


def _quantized_concat(n):
    # the arrays, then each one's min and max
    return _args(n) + [f"arg{i}_{end}" for i in range(n) for end in ("min", "max")]


_SGD = ("weight", "grad")
_SGD_MOM = ("weight", "grad", "mom")
_MP_SGD = ("weight", "grad", "weight32")
_MP_SGD_MOM = ("weight", "grad", "mom", "weight32")
_RATES = ("lrs", "wds")

# {op name: count -> input names}
_NAMES = {
    "Concat": _args, "stack": _args, "khatri_rao": _args, "add_n": _args, "Crop": _args,
    "_rnn_param_concat": _args,
    "_contrib_quantized_concat": _quantized_concat,
    "amp_multicast": _per_item("data"),
    "multi_all_finite": _per_item("array"),
    "multi_sum_sq": _per_item("array"),
    "multi_sgd_update": _per_item(*_SGD),
    "multi_sgd_mom_update": _per_item(*_SGD_MOM),
    "multi_mp_sgd_update": _per_item(*_MP_SGD),
    "multi_mp_sgd_mom_update": _per_item(*_MP_SGD_MOM),
    "preloaded_multi_sgd_update": _per_item(*_SGD, shared=_RATES),
    "preloaded_multi_sgd_mom_update": _per_item(*_SGD_MOM, shared=_RATES),
    "preloaded_multi_mp_sgd_update": _per_item(*_MP_SGD, shared=_RATES),
    "preloaded_multi_mp_sgd_mom_update": _per_item(*_MP_SGD_MOM, shared=_RATES),
}

# {op name: (least, most or None)} allowed for the count parameter.
_BOUNDS = {
    "Concat": (1, None), "stack": (1, None), "khatri_rao": (1, None), "add_n": (1, None),
    "_rnn_param_concat": (1, None), "_contrib_quantized_concat": (1, None),
    "UpSampling": (1, None), "Crop": (1, 3), "_foreach": (1, None),
    "_while_loop": (2, None), "_cond": (3, None), "_contrib_dgl_subgraph": (2, None),
    "_contrib_dgl_graph_compact": (2, None),
}


def check_count(op, attrs):
    """Raise MXNetError when the count parameter of a call of list operator
    ``op`` is out of the bounds MXNet sets for it."""
    least, most = _BOUNDS.get(op.name, (None, None))
    if least is None:
        return
    count = attrs[op.variadic]
    if count < least or (most is not None and count > most):
        expected = f"at least {least}" if most is None else f"in [{least}, {most}]"
        raise MXNetError(f"{op.name}: '{op.variadic}' must be {expected}, got {count}")


def input_names(op, attrs):
    """The names of the inputs of a call of list operator ``op`` with
    ``attrs``, or None when MXNet creates no variables for it."""
    names = _NAMES.get(op.name)
    return None if names is None else names(attrs[op.variadic])
