"""``mx.sym.npx``: the ``mx.npx`` operators for graphs (``F.npx`` in a
``hybrid_forward`` traced under ``npx.set_np()``).

Each function creates the same node as ``mx.sym`` would for the ``_npx_*``
operator, named after the ``mx.npx`` function as MXNet does (``relu0``,
``fully_connected0``), and returns a NumPy-semantics ``_Symbol``.
"""
import functools

from ...base import _Null
from ...ops import registry
from ...numpy_extension._ops import _OP_FUNCTIONS
from .. import register as _register
from ..numpy._symbol import as_np_symbol

__all__ = list(_OP_FUNCTIONS) + ["reshape", "nonzero", "constraint_check"]


def make_op_function(full, short):
    """The ``mx.sym.npx`` function ``short`` creating ``full`` nodes named ``<short><n>``."""
    legacy = _register.make_function(registry.get(full), full, hint=short)

    @functools.wraps(legacy)
    def fn(*args, **kwargs):
        return as_np_symbol(legacy(*args, **kwargs))
    fn.__name__ = fn.__qualname__ = short
    fn.__module__ = __name__
    return fn


for _short in _OP_FUNCTIONS:
    globals()[_short] = make_op_function("_npx_" + _short, _short)


def reshape(a, newshape, reverse=False, order="C", name=None):
    """Graph form of ``npx.reshape`` (MXNet's shape codes -1..-6)."""
    return as_np_symbol(_register.create(
        "_npx_reshape", [a], {"newshape": newshape, "reverse": reverse, "order": order},
        name, hint="reshape"))


def nonzero(a, name=None):
    """Graph form of ``npx.nonzero``."""
    return as_np_symbol(_register.create("_npx_nonzero", [a], {}, name, hint="nonzero"))


def constraint_check(x, msg=_Null, name=None):
    """Graph form of ``npx.constraint_check``."""
    return as_np_symbol(_register.create("_npx_constraint_check", [x], {"msg": msg}, name,
                                         hint="constraint_check"))


from . import image  # noqa: E402  (mx.sym.npx.image)
