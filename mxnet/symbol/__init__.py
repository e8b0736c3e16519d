"""``mx.sym``: symbolic graphs built from the same operator declarations as ``mx.nd``."""
from .symbol import Symbol, Node, var, Variable, Group
from .naming import NameManager, Prefix, AttrScope
from . import op, _internal, contrib, linalg, image, random, sparse
from .op import *  # noqa: F401,F403  (every public operator function)
from .register import populate as _populate
from .json_io import load, load_json, fromjson
from .misc_funcs import histogram
from .creation import (zeros, ones, full, arange, linspace, eye, pow, power, maximum, minimum,
                       hypot, split_v2)

_populate(globals(), "op")  # operators registered later appear in mx.sym too

from . import fluent as _fluent

_fluent.attach()

from . import numpy, numpy_extension  # noqa: E402  (mx.sym.np, mx.sym.npx)
from . import numpy as np, numpy_extension as npx  # noqa: E402
