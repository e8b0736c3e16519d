"""The rule for writing into an array in place while autograd records.

MXNet refuses it (``x += y``, ``x[idx] = y``, ``op(..., out=x)``) when the
written array is part of the recorded graph (computed under ``record()`` or
marked with ``attach_grad``) or when the value written comes from it: the
tape could not tell the old values from the new. Writes that involve no
recorded array stay allowed.
"""
from ..base import MXNetError
from ..ndarray.ndarray import NDArray


def _in_graph(arr):
    return arr._ag_node is not None or arr._grad_req != "null"


def check_inplace_recording(target, value):
    """Raise MXNetError, as MXNet, if writing ``value`` into ``target`` in place
    cannot be recorded; call only while autograd records."""
    if _in_graph(target):
        raise MXNetError("Assigning to arrays that are already in a computational graph "
                         "will cause undefined behavior when evaluating gradients: call "
                         "backward first, or write outside autograd.record(). In-place "
                         "operations (+=, *=, y[idx] = x, out=...) cannot be recorded.")
    if isinstance(value, NDArray) and _in_graph(value):
        raise MXNetError("In-place operations (+=, -=, x[:] = ..., out=...) with a value "
                         "computed under autograd.record() are not supported while "
                         "recording; compute a new array instead.")
