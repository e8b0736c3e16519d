"""``mx.sym.np.random``: graph forms of the ``mx.np.random`` functions (see ``mx.sym.np``)."""
from ... import numpy as _mx_np
from . import graph_functions

__getattr__ = graph_functions(_mx_np.random, "mx.sym.np.random", globals())
