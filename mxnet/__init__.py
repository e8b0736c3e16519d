"""MXNext: an independent implementation of the Apache MXNet 1.x Python API on NumPy.

``import mxnet as mx`` gives the familiar namespaces: ``mx.nd``, ``mx.autograd``,
``mx.random``, ``mx.engine``, ``mx.context`` and, as they are built, the rest.
"""
from .libinfo import __version__
from .base import MXNetError
from .context import Context, cpu, gpu, cpu_pinned, current_context
from . import base, context, engine, ops
from . import ndarray
from . import ndarray as nd
from . import numpy, numpy as np
from . import numpy_extension, numpy_extension as npx
from . import autograd, random, runtime, test_utils
from . import symbol
from . import symbol as sym
from .symbol import AttrScope
from . import attribute, name
from . import executor, cached_op
nd.CachedOp = cached_op.CachedOp
from . import initializer, optimizer, lr_scheduler, metric, registry
from . import initializer as init
from . import gluon
from . import io, recordio, image, log
from . import image as img, random as rnd
from . import model, callback, monitor, visualization, rnn
from . import module, module as mod
from . import monitor as mon
from . import visualization as viz
from . import profiler, util, operator
from . import kvstore, kvstore as kv
from . import contrib, onnx
from .util import (is_np_array, is_np_shape, np_shape, np_array, set_np_shape, use_np,
                   use_np_shape, use_np_array)
