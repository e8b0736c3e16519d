"""``mx.sym.np.linalg``: graph forms of the ``mx.np.linalg`` functions (see ``mx.sym.np``)."""
from ... import numpy as _mx_np
from . import graph_functions

__getattr__ = graph_functions(_mx_np.linalg, "mx.sym.np.linalg", globals())
