"""Weight initializers (``mx.init``).

An initializer is called with a parameter description and an NDArray and
fills the array in place. With an ``InitDesc`` (a str carrying the
parameter's attributes), an ``__init__`` attribute (a JSON string written
by ``Initializer.dumps``, e.g. from ``mx.sym.Variable(init=...)``) takes
priority; otherwise the name's suffix decides: ``*weight`` gets the
initializer's own rule, ``*bias`` and ``*beta`` zeros, ``*gamma`` ones,
``*min`` zeros, ``*max`` ones. Plain-string names use MXNet's older rules
(deprecated), which also know ``moving_mean``/``moving_var``/``upsampling``/
``stn_loc`` parameters.

``dumps()`` writes exactly MXNet's JSON (``["xavier", {"rnd_type": ...}]``),
so symbol files carry the same ``__init__`` attributes.
"""
import json
import logging
import re
import warnings
from math import sqrt

import numpy as np

from . import ndarray
from . import random
from . import registry
from .base import string_types
from .ndarray import NDArray, load

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero",
           "One", "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu",
           "Bilinear", "LSTMBias", "FusedRNN"]


class InitDesc(str):
    """A parameter name with its attributes (``attrs``, e.g. ``__init__``)
    and the global initializer in effect (``global_init``)."""

    def __new__(cls, name, attrs=None, global_init=None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


def _bilinear_kernel(shape):
    """The bilinear upsampling kernel over the last two axes, repeated."""
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = np.arange(shape[3])
    y = np.arange(shape[2])
    plane = np.outer(1 - np.abs(y / f - c), 1 - np.abs(x / f - c)).astype(np.float32)
    return np.broadcast_to(plane, shape)


# Suffix rules of InitDesc names, in MXNet's order of precedence.
_DESC_RULES = (('weight', '_init_weight'), ('bias', '_init_bias'), ('gamma', '_init_gamma'),
               ('beta', '_init_beta'), ('min', '_init_zero'), ('max', '_init_one'),
               ('weight_quantize', '_init_quantized_weight'),
               ('bias_quantize', '_init_quantized_bias'))

# Suffix rules of plain-string names (the deprecated call form).
_LEGACY_RULES = (('bias', '_init_bias'), ('gamma', '_init_gamma'), ('beta', '_init_beta'),
                 ('weight', '_init_weight'), ('moving_mean', '_init_zero'),
                 ('moving_var', '_init_one'), ('moving_inv_var', '_init_zero'),
                 ('moving_avg', '_init_zero'), ('min', '_init_zero'), ('max', '_init_one'))


class Initializer(object):
    """Base class; subclasses define ``_init_weight(name, arr)``. The
    constructor's keyword arguments are what ``dumps()`` records."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log each initialised array with ``print_func(arr)`` (default: its
        root-mean-square) when ``verbose``."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                return str((ndarray.norm(x) / sqrt(x.size)).asscalar())
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, init, self._print_func(arr))

    def dumps(self):
        """``'["<lower-case class name>", {kwargs}]'``: what ``create`` reads back."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        """Fill ``arr`` for the parameter ``desc`` (see the module doc)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in _DESC_RULES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        warnings.warn("Calling initializer with init(str, NDArray) has been deprecated. "
                      "Please use init(mx.init.InitDesc(...), NDArray) instead.",
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, string_types):
            raise TypeError(f"name must be string, got {type(name).__name__}")
        if not isinstance(arr, NDArray):
            raise TypeError(f"arr must be NDArray, got {type(arr).__name__}")
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
        else:
            method = next((m for s, m in _LEGACY_RULES if name.endswith(s)), '_init_default')
            getattr(self, method)(name, arr)

    def _init_bilinear(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)

    def _init_loc_bias(self, _, arr):
        if arr.shape[0] != 6:
            raise ValueError(f"stn_loc bias must have 6 entries, got shape {arr.shape}")
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_quantized_bias(self, _, arr):
        arr[:] = 0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        raise NotImplementedError(f"{type(self).__name__} must define _init_weight")

    def _init_quantized_weight(self, _, arr):
        # As MXNet: one random int8 value fills the whole array.
        value = random.randint(-127, 127, shape=(1,), dtype='int32').asnumpy()
        arr[:] = np.int8(value)

    def _init_default(self, name, _):
        raise ValueError(f'Unknown initialization pattern for {name}. Default initialization is '
                         f'now limited to "weight", "bias", "gamma" (1.0), and "beta" (0.0). '
                         f'Please use mx.sym.Variable(init=mx.init.*) to set initialization '
                         f'pattern')

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__


_register = registry.get_register_func(Initializer, 'initializer')
alias = registry.get_alias_func(Initializer, 'initializer')
create = registry.get_create_func(Initializer, 'initializer')


def register(klass):
    """Register an initializer class under its lower-cased name, for
    ``create`` and ``__init__`` attributes."""
    return _register(klass)


class Load(object):
    """Initialize from saved arrays (a ``.params`` file name or a dict);
    ``arg:``/``aux:`` prefixes are dropped. Names not found use
    ``default_init``."""

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = load(param)
        if not isinstance(param, dict):
            raise TypeError(f"Load: expects a dict of arrays or a file of named arrays, "
                            f"got {type(param).__name__}")
        self.param = {}
        for name, arr in param.items():
            self.param[name[4:] if name.startswith(('arg:', 'aux:')) else name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            if arr.shape != self.param[name].shape:
                raise ValueError(f"Parameter {name} cannot be initialized from loading. Shape "
                                 f"mismatch, target {arr.shape} vs loaded "
                                 f"{self.param[name].shape}")
            arr[:] = self.param[name]
            if self.verbose:
                logging.info('Initialized %s by loading', name)
            return
        if self.default_init is None:
            raise ValueError(f"Cannot Initialize {name}. Not found in loaded param and no "
                             f"default Initializer is provided.")
        self.default_init(name, arr)
        if self.verbose:
            logging.info('Initialized %s by default', name)


class Mixed(object):
    """The first initializer whose regular expression matches the name
    (``re.match``) initializes it."""

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError(f"Mixed: {len(patterns)} patterns but {len(initializers)} "
                             f"initializers")
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError(f"Parameter name {name} did not match any pattern. Consider adding a "
                         f"\".*\" pattern at the end with a default Initializer.")


@register
@alias('zeros')
class Zero(Initializer):
    """Fill with 0."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias('ones')
class One(Initializer):
    """Fill with 1."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Fill with ``value`` (a scalar or an array broadcast to the shape)."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        value = self._kwargs['value']
        if not np.isscalar(value):
            self._kwargs['value'] = value.tolist() if isinstance(value, np.ndarray) \
                else value.asnumpy().tolist()
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])


@register
class Uniform(Initializer):
    """Uniform samples in ``[-scale, scale]``."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        random.uniform(-self.scale, self.scale, arr.shape, out=arr)


@register
class Normal(Initializer):
    """Normal samples with mean 0 and standard deviation ``sigma``."""

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        random.normal(0, self.sigma, arr.shape, out=arr)


@register
class Orthogonal(Initializer):
    """A random (semi-)orthogonal matrix times ``scale``, from the SVD of a
    uniform (``rand_type='uniform'``) or normal sample; the weight is seen
    as ``(shape[0], prod(shape[1:]))``."""

    def __init__(self, scale=1.414, rand_type="uniform"):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = random.uniform(-1.0, 1.0, shape=(nout, nin)).asnumpy()
        elif self.rand_type == "normal":
            tmp = random.normal(0.0, 1.0, shape=(nout, nin)).asnumpy()
        else:
            raise ValueError(f"Orthogonal: rand_type must be 'uniform' or 'normal', "
                             f"got {self.rand_type!r}")
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        arr[:] = self.scale * res.reshape(arr.shape)


@register
class Xavier(Initializer):
    """Glorot/Xavier: samples of scale ``sqrt(magnitude / factor)`` where the
    factor is the fan-in, fan-out or their average (``factor_type`` 'in',
    'out', 'avg'; fans multiply by the kernel size for >2-D weights);
    ``rnd_type`` 'uniform' samples in ``[-scale, scale]``, 'gaussian' has
    standard deviation ``scale``."""

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(f"Xavier initializer cannot be applied to vector {name}. It "
                             f"requires at least 2D.")
        hw_scale = np.prod(shape[2:]) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factors = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}
        if self.factor_type not in factors:
            raise ValueError(f"Incorrect factor type {self.factor_type!r}: expected 'avg', "
                             f"'in' or 'out'")
        scale = np.sqrt(self.magnitude / factors[self.factor_type])
        if self.rnd_type == "uniform":
            random.uniform(-scale, scale, arr.shape, out=arr)
        elif self.rnd_type == "gaussian":
            random.normal(0, scale, arr.shape, out=arr)
        else:
            raise ValueError(f"Unknown random type {self.rnd_type!r}: expected 'uniform' or "
                             f"'gaussian'")


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for PReLU nets: gaussian Xavier with magnitude
    ``2 / (1 + slope**2)``."""

    def __init__(self, factor_type="avg", slope=0.25):
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Bilinear upsampling kernels (for Deconvolution weights, 4-D)."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)


@register
class LSTMBias(Initializer):
    """LSTM biases: 0 except the forget gate (second quarter) at ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


_GATES = {'lstm': ['_i', '_f', '_c', '_o'], 'gru': ['_r', '_z', '_o'], 'rnn_relu': [''],
          'rnn_tanh': ['']}


def fused_rnn_blocks(size, num_hidden, num_layers, mode, bidirectional):
    """``[(name, offset, shape)]`` of the pieces of a fused RNN parameter
    vector, named like MXNet's unpacked cell weights (``l0_i2h_f_weight``)."""
    gates = _GATES[mode]
    dirs = ['l', 'r'] if bidirectional else ['l']
    h, b, m = num_hidden, len(dirs), len(gates)
    num_input = size // b // h // m - (num_layers - 1) * (h + b * h + 2) - h - 2
    blocks, pos = [], 0

    def take(name, shape):
        nonlocal pos
        blocks.append((name, pos, shape))
        pos += int(np.prod(shape))
    for layer in range(num_layers):
        in_size = num_input if layer == 0 else b * h
        for d in dirs:
            for g in gates:
                take(f'{d}{layer}_i2h{g}_weight', (h, in_size))
            for g in gates:
                take(f'{d}{layer}_h2h{g}_weight', (h, h))
    for layer in range(num_layers):
        for d in dirs:
            for kind in ('i2h', 'h2h'):
                for g in gates:
                    take(f'{d}{layer}_{kind}{g}_bias', (h,))
    if pos != size:
        raise ValueError(f"FusedRNN: a parameter of {size} values does not fit {num_layers} "
                         f"{mode} layers of {num_hidden} units")
    return blocks


@register
class FusedRNN(Initializer):
    """Initialize the packed parameter vector of a fused RNN layer piece by
    piece with ``init`` (or the global initializer when None), as if the
    weights were unpacked; LSTM forget-gate biases get ``forget_bias``."""

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, string_types):
            init = create(init)
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):
        flat = np.empty(arr.size, dtype=arr.dtype)
        for name, pos, shape in fused_rnn_blocks(arr.size, self._num_hidden, self._num_layers,
                                                 self._mode, self._bidirectional):
            piece = ndarray.zeros(shape, ctx=arr.context, dtype=arr.dtype)
            if self._mode == 'lstm' and name.endswith('_f_bias'):
                piece[:] = self._forget_bias
            else:
                init = self._init if self._init is not None else desc.global_init
                init(InitDesc(name, global_init=desc.global_init), piece)
            flat[pos:pos + piece.size] = piece.asnumpy().ravel()
        arr[:] = flat.reshape(arr.shape)
