"""``mx.sym.histogram``: the symbolic front end of ``_histogram``."""
from ..base import MXNetError
from .symbol import Symbol

__all__ = ["histogram"]


def histogram(a, bins=10, range=None, **kwargs):
    """Symbol of the histogram of ``a``: ``(counts, bin_edges)``; ``bins`` is a
    Symbol of edges, or a number of equal bins over ``range=(low, high)``,
    which symbols require."""
    from . import _internal
    if isinstance(bins, Symbol):
        return _internal._histogram(data=a, bins=bins, **kwargs)
    if isinstance(bins, int) and not isinstance(bins, bool):
        if range is None:
            raise MXNetError("histogram: range must be given in symbolic mode")
        return _internal._histogram(data=a, bin_cnt=bins, range=range, **kwargs)
    raise MXNetError(f"histogram: bins must be an integer or a Symbol, got {type(bins).__name__}")
