"""Python-level shape helpers of ``mx.nd`` that wrap operators: ``split_v2`` and the
in-place ``slice_assign`` / ``slice_assign_scalar`` used as NDArray methods."""
from ..base import numeric_types
from ..ops import registry
from .invoke import invoke


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split ``ary`` along ``axis`` like ``numpy.split``.

    An integer gives that many equal parts (ValueError when the axis does not
    divide evenly); a tuple gives the split points (each part runs from one
    point to the next, the first from 0). One part comes back as an NDArray,
    several as a list. ``squeeze_axis`` drops the split axis when every part
    has length 1 there.
    """
    params = {"axis": axis, "squeeze_axis": squeeze_axis}
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        size = ary.shape[axis]
        if indices_or_sections < 1 or size % indices_or_sections:
            raise ValueError(f"split_v2: axis {axis} of size {size} does not split into "
                             f"{indices_or_sections} equal parts")
        params.update(indices=(), sections=indices_or_sections)
    elif isinstance(indices_or_sections, tuple):
        params.update(indices=(0,) + indices_or_sections)
    else:
        raise ValueError(f"split_v2: indices_or_sections must be an int or a tuple of ints, "
                         f"got {type(indices_or_sections).__name__}")
    return invoke(registry.get("_split_v2"), [ary], params)


def slice_assign(self, rhs, begin, end, step):
    """Write ``rhs`` into the region begin:end:step of ``self`` in place; returns self."""
    return invoke(registry.get("_slice_assign"), [self, rhs],
                  {"begin": begin, "end": end, "step": step}, out=self)


def slice_assign_scalar(self, value, begin, end, step):
    """Set the region begin:end:step of ``self`` to ``value`` in place; returns self."""
    if not isinstance(value, numeric_types):
        raise TypeError(f"slice_assign_scalar: value must be a number, got {type(value).__name__}")
    return invoke(registry.get("_slice_assign_scalar"), [self],
                  {"scalar": float(value), "begin": begin, "end": end, "step": step}, out=self)
