"""The operator registry: the one place an operator is defined.

An ``OpDef`` holds everything known about an operator: names, typed
parameters, input and aux-state names, shape and type inference, the
default kernel (written against an array module ``xp``: NumPy or CuPy),
the gradient rule and hints. Front ends (``mx.nd``, later ``mx.sym``) and
graph passes are derived from it; nothing else declares an operator.

Kernel contract: ``compute(xp, attrs, *inputs, **resources)`` receives the
data inputs followed by the aux states (``aux``, e.g. BatchNorm's moving
statistics) and returns the output array, or a tuple of them for several
outputs, with the dtype and shape ``infer_type``/``infer_shape`` promise;
outputs never alias inputs. An op whose aux states depend on its parameters
lists them among ``inputs`` and gives ``aux`` as a function ``attrs -> names``
(the fused ops' folded batch-norm statistics), or ``aux_positions`` as a
function ``(attrs, n_inputs) -> positions`` when its inputs have no names of
their own (the multi-tensor optimizer updates: their variadic count is the
number of weights, each with a group of inputs). Resources (``rng``: the device's random
generator, ``is_train``: training mode) are passed only to ops that declare
them. Inputs whose positions are listed in ``mutate_inputs`` (optimizer
states, moving statistics; a tuple, or a function ``(attrs, n_inputs) ->
positions``) may be updated in place by the kernel; the engine treats them as
written. ``visible_outputs(attrs)``, when given, is how many
leading outputs a front-end call returns (BatchNorm computes three, shows one);
autograd and graphs see all of them. ``specialize(attrs, out_shape)``, for
ops without inputs, gives the attrs that make the kernel build an output
shape graph inference completed (``_arange`` with ``infer_range``), or None.

Gradient contract: ``gradient(F, attrs, inputs, outputs, out_grads)``
returns one gradient (or ``None``) per input, computed with the operators of
the front end ``F`` (``mx.nd`` when running autograd, ``mx.sym`` when
building a backward graph), so gradients are themselves differentiable.
While a rule runs, ``input_grad_needed(i)`` tells whether input ``i``'s
gradient will be used (autograd and the gradient pass know which inputs lead
to a variable); a rule may return ``None`` for the others and skip their work,
as Convolution does for the data gradient of a network's first layer.
"""
import math
import threading

from ..base import MXNetError
from .params import REQUIRED, Param

__all__ = ["OpDef", "Attrs", "register", "add_alias", "get", "find", "all_ops", "Param",
           "input_grad_needed", "call_gradient", "run_host_op"]

_OPS = {}
_LISTENERS = []  # front ends that add a function for each newly registered op
_PARSE_CACHE_LIMIT = 4096


class Attrs(dict):
    """Parsed parameters of one op call; read as attributes (``attrs.axis``).

    Attrs that ``OpDef.parse`` returns are shared by every call with the
    same arguments and never modified; ``_freeze`` copies their values into
    the instance's ``__dict__``, making ``attrs.axis`` a plain attribute read
    (kernels do dozens per call; the ``__getattr__`` fallback costs the
    failed lookup plus a Python call). Names of dict methods stay methods.
    """

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def _freeze(self):
        """Copy the values into the instance dict; call once the attrs are final."""
        fields = self.__dict__
        for key, value in self.items():
            if key not in _DICT_NAMES:
                fields[key] = value
        return self


_DICT_NAMES = frozenset(dir(dict))


class OpDef:
    """The declaration of one operator (see module docstring)."""

    def __init__(self, name, compute, *, aliases=(), params=None, inputs=("data",),
                 aux=(), variadic=None, num_outputs=1, visible_outputs=None, output_names=None,
                 infer_shape=None, infer_type=None, gradient=None, inplace=(),
                 resources=(), mutate_inputs=(), active_inputs=None, specialize=None,
                 aux_positions=None, doc=""):
        self.name = name
        self.compute = compute
        self.aliases = tuple(aliases)
        self.params = dict(params or {})
        self.inputs = tuple(inputs)
        # ``aux``: names appended after the inputs, or a function of attrs
        # naming which of the (active) inputs are aux states; ``self.aux``
        # keeps the appended names, which the front ends' signatures use.
        self._aux_of = aux if callable(aux) else None
        self.aux = () if callable(aux) else tuple(aux)
        self._aux_at = aux_positions
        self.variadic = variadic
        self._num_outputs = num_outputs
        self.visible_outputs = visible_outputs
        self._output_names = output_names
        self.infer_shape = infer_shape
        self.infer_type = infer_type
        self.gradient = gradient
        self.inplace = tuple(inplace)
        self.resources = tuple(resources)
        self._mutate_inputs = mutate_inputs
        self.doc = doc or (compute.__doc__ or "").strip()
        self.active_inputs = active_inputs
        self.specialize = specialize
        # attrs -> bool: the call may give sparse output from dense inputs (set by
        # sparse_ops for cast_storage and dot's forward_stype).
        self.sparse_output = None
        # device type name -> [KernelOverride]: backend kernels (mxnet.backends).
        self.overrides = {}
        self._cache = {}
        self._defaults = None  # default_attrs(), read directly by invoke
        if variadic is not None and variadic not in self.params:
            self.params[variadic] = Param("int", doc="Number of inputs.")

    def __repr__(self):
        return f"<OpDef {self.name}>"

    def num_outputs(self, attrs):
        n = self._num_outputs
        return n(attrs) if callable(n) else n

    def mutate_inputs(self, attrs, n_inputs):
        """Positions of the inputs the kernel updates in place for a call."""
        m = self._mutate_inputs
        return tuple(m(attrs, n_inputs) if callable(m) else m)

    @property
    def has_aux(self):
        """Whether some call of this op has aux states."""
        return bool(self.aux) or self._aux_of is not None or self._aux_at is not None

    def aux_positions(self, attrs, n_inputs):
        """Positions, among a call's ``n_inputs`` inputs, of its aux states."""
        if self._aux_at is not None:
            return tuple(self._aux_at(attrs, n_inputs))
        if self._aux_of is None:
            return tuple(range(n_inputs - len(self.aux), n_inputs)) if self.aux else ()
        aux = set(self._aux_of(attrs))
        return tuple(i for i, name in enumerate(self.input_names(attrs)[:n_inputs])
                     if name in aux)

    def output_names(self, attrs):
        names = self._output_names
        if callable(names):
            return names(attrs)
        if names is not None:
            return list(names)
        n = self.num_outputs(attrs)
        return ["output"] if n == 1 else [f"output{i}" for i in range(n)]

    def parse(self, kwargs):
        """Check and convert call arguments into ``Attrs`` (cached per kwargs)."""
        try:
            key = tuple(kwargs.items())
            if 0 in kwargs.values():
                # 0.0 and -0.0 are equal keys but different arguments (x + -0.0 keeps
                # the sign of a zero x): the signs of float values join the key.
                key += tuple(math.copysign(1.0, v) for v in kwargs.values() if type(v) is float)
            attrs = self._cache.get(key)
        except (TypeError, ValueError):  # an unhashable value (a list, an array): no caching
            return self._parse(kwargs)
        if attrs is None:
            attrs = self._parse(kwargs)
            if len(self._cache) >= _PARSE_CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = attrs
        return attrs

    def default_attrs(self):
        """``Attrs`` of a call without keyword arguments (cached)."""
        attrs = self._defaults
        if attrs is None:
            attrs = self._defaults = self.parse({})
        return attrs

    def _parse(self, kwargs):
        attrs = Attrs()
        params = self.params
        for key, value in kwargs.items():
            p = params.get(key)
            if p is None:
                if key.startswith("__") and key.endswith("__"):
                    continue  # symbol attributes (__layout__, __lr_mult__...) are not params
                raise MXNetError(
                    f"{self.name}: unknown argument '{key}' (given {value!r}); "
                    f"valid arguments: {', '.join(params) or 'none'}")
            attrs[key] = p.parse(self.name, key, value)
        for key, p in params.items():
            if key not in attrs:
                if p.default is REQUIRED:
                    raise MXNetError(f"{self.name}: required argument '{key}' is missing "
                                     f"(expects {p.type_doc()})")
                attrs[key] = p.default
        return attrs._freeze()

    def input_names(self, attrs):
        """Names of the data inputs then aux states for a call with ``attrs``.

        Inputs an op takes only under some parameters (``bias`` unless
        ``no_bias``; others via ``active_inputs(attrs)``) are left out when
        absent, as MXNet's ``list_arguments`` does."""
        if self.variadic is not None:
            base = self.inputs[0] if self.inputs else "arg"
            return [f"{base}{i}" for i in range(attrs[self.variadic])] + list(self.aux)
        if self.active_inputs is not None:
            names = list(self.active_inputs(attrs))
        elif attrs.get("no_bias"):
            names = [n for n in self.inputs if n != "bias"]
        else:
            names = list(self.inputs)
        return names + list(self.aux)


def register(name, **spec):
    """Decorator declaring the kernel it wraps as operator ``name``.

    ``spec`` takes the ``OpDef`` keywords. Returns the ``OpDef`` so a family
    file can refer to it. Registering an existing name or alias is an error.
    """
    def wrap(compute):
        op = OpDef(name, compute, **spec)
        add(op)
        return op
    return wrap


def add(op):
    """Add a built ``OpDef`` under its name and aliases."""
    for n in (op.name,) + op.aliases:
        if n in _OPS:
            raise MXNetError(f"operator '{n}' is already registered")
    for n in (op.name,) + op.aliases:
        _OPS[n] = op
    for listener in _LISTENERS:
        listener(op)
    return op


def add_alias(name, target):
    """Declare ``name`` as one more alias of the registered op ``target``, for
    a front end that names an existing operator differently (MXNet's
    ``_npx_fully_connected`` is ``FullyConnected``)."""
    op = get(target)
    if name in _OPS:
        raise MXNetError(f"operator '{name}' is already registered")
    op.aliases += (name,)
    _OPS[name] = op
    for listener in _LISTENERS:
        listener(op)
    return op


def add_listener(fn):
    """Call ``fn(op)`` for every operator registered from now on."""
    _LISTENERS.append(fn)


def get(name):
    """The ``OpDef`` registered as ``name`` (its name or an alias)."""
    op = _OPS.get(name)
    if op is None:
        raise MXNetError(f"operator '{name}' is not registered")
    return op


def find(name):
    return _OPS.get(name)


def all_ops():
    """Mapping of every registered name and alias to its ``OpDef``."""
    return dict(_OPS)


_rule_state = threading.local()


def call_gradient(op, needed, F, attrs, inputs, outputs, out_grads):
    """Run ``op``'s gradient rule knowing which inputs' gradients are
    ``needed`` (a sequence of bools, one per input)."""
    saved = getattr(_rule_state, "needed", None)
    _rule_state.needed = needed
    try:
        return op.gradient(F, attrs, inputs, outputs, out_grads)
    finally:
        _rule_state.needed = saved


def input_grad_needed(i):
    """Inside a gradient rule: whether the gradient of input ``i`` is used
    (True when the caller did not say)."""
    needed = getattr(_rule_state, "needed", None)
    return needed is None or needed[i]


_compute_host = None  # backends.compute_host, imported on first use: backends imports this module


def _bind_compute_host():
    global _compute_host
    from ..backends import compute_host
    _compute_host = compute_host


def run_host_op(op_name, xp, params, *arrays):
    """Run operator ``op_name`` on host arrays from inside another kernel: through
    its backend overrides (oneDNN) when they take the call, else its default
    kernel."""
    op = get(op_name)
    attrs = op.parse(params) if params else op.default_attrs()
    if op.overrides and xp.__name__ == "numpy":
        if _compute_host is None:
            _bind_compute_host()
        return _compute_host(op, attrs, list(arrays))
    return op.compute(xp, attrs, *arrays)
