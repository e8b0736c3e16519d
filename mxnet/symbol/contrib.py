"""Operator functions of the ``contrib`` namespace of ``mx.sym``, built from the op registry."""
from .contrib_control_flow import foreach, while_loop, cond
from .register import populate

__all__ = populate(globals(), "contrib") + ["foreach", "while_loop", "cond"]
