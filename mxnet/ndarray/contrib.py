"""``mx.nd.contrib``: contributed operators (``_contrib_*``) and a few helpers."""
import numpy as np

from . import contrib_updates
from .contrib_control_flow import foreach, while_loop, cond
from .contrib_updates import (adamw_update, mp_adamw_update, multi_adamw_update,
                              multi_lamb_update, multi_mp_adamw_update, multi_mp_lamb_update,
                              rand_zipfian)
from .register import populate

__all__ = populate(globals(), "contrib") + ["isinf", "isfinite", "isnan", "foreach",
                                            "while_loop", "cond"] + contrib_updates.__all__


def isinf(data):
    """1 where ``data`` is +inf or -inf, else 0 (same dtype as ``data``)."""
    return data.abs() == np.inf


def isfinite(data):
    """1 where ``data`` is neither inf nor NaN, else 0 (same dtype as ``data``)."""
    is_data = data == data
    return (data.abs() != np.inf) * is_data


def isnan(data):
    """1 where ``data`` is NaN, else 0 (same dtype as ``data``)."""
    return data != data
