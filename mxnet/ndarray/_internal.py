"""Operator functions of the ``_internal`` namespace, built from the op registry."""
import functools

from ..base import MXNetError
from .register import populate

__all__ = populate(globals(), "_internal")


def _needs_out(fn, why):
    """``fn`` refusing calls without ``out=`` (its result exists only as a write)."""
    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            raise MXNetError(f"{fn.__name__}: {why}")
        return fn(*args, out=out, **kwargs)
    return call


# As in MXNet, _set_value only writes into the array given as out=.
globals()["_set_value"] = _needs_out(globals()["_set_value"],
                                     "Set value target must not be empty: pass out=")
