"""Containers and simple layers: Sequential, HybridSequential, Lambda,
HybridLambda, Dense, and Identity/Concurrent/HybridConcurrent (which MXNet
1.9 exports from ``gluon.contrib.nn``). Dropout, Embedding, Flatten and the
normalisation layers, which MXNet defines in this module, live in
``misc_layers``/``norm_layers`` and are importable from here too."""
from ... import ndarray
from ...base import MXNetError
from ..block import Block, HybridBlock
from ..np_boundary import legacy_body
from ..utils import _indent
from .activations import Activation
from .misc_layers import Dropout, Embedding, Flatten
from .norm_layers import BatchNorm, BatchNormReLU, InstanceNorm, LayerNorm, GroupNorm

# MXNet defines the layers of misc_layers/norm_layers in this module too.
__all__ = ["Sequential", "HybridSequential", "Dense", "Lambda", "HybridLambda", "Dropout",
           "Embedding", "Flatten", "BatchNorm", "BatchNormReLU", "InstanceNorm", "LayerNorm",
           "GroupNorm"]


def _children_repr(block):
    lines = [f"  ({key}): {_indent(repr(child), 2)}" for key, child in block._children.items()]
    return "{}(\n{}\n)".format(type(block).__name__, "\n".join(lines))


def _chain(children, x, args):
    """Feed ``x`` through ``children``; a child returning a tuple/list passes
    its first element as the input and the rest as extra arguments."""
    for block in children:
        x = block(x, *args)
        args = []
        if isinstance(x, (tuple, list)):
            args = x[1:]
            x = x[0]
    if args:
        x = tuple([x] + list(args))
    return x


class Sequential(Block):
    """Runs its children one after the other."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        """Append blocks to the chain."""
        for block in blocks:
            self.register_child(block)

    def forward(self, x, *args):
        return _chain(self._children.values(), x, args)

    def __repr__(self):
        return _children_repr(self)

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if not isinstance(layers, list):
            return layers
        net = type(self)(prefix=self._prefix)
        with net.name_scope():
            net.add(*layers)
        return net

    def __len__(self):
        return len(self._children)

    def hybridize(self, active=True, **kwargs):
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            import warnings
            warnings.warn(f"All children of this Sequential layer '{self.prefix}' are "
                          "HybridBlocks. Consider using HybridSequential for the best "
                          "performance.", stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(HybridBlock):
    """Runs its (hybrid) children one after the other; can be hybridized as a whole."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        """Append blocks to the chain."""
        for block in blocks:
            self.register_child(block)

    def hybrid_forward(self, F, x, *args):
        return _chain(self._children.values(), x, args)

    def __repr__(self):
        return _children_repr(self)

    __getitem__ = Sequential.__getitem__

    def __len__(self):
        return len(self._children)


class Dense(HybridBlock):
    """Fully connected layer: ``activation(dot(x, weight.T) + bias)``.

    ``weight`` has shape (units, in_units); ``in_units=0`` is inferred from
    the first input. With ``flatten`` (default) inputs are reshaped to 2-D
    first; otherwise the last axis is transformed and the others kept."""

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype="float32",
                 weight_initializer=None, bias_initializer="zeros", in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def hybrid_forward(self, F, x, weight, bias=None):
        out = self._fully_connected(F, x, weight, bias)
        if self.act is not None:
            out = self.act(out)
        return out

    @legacy_body
    def _fully_connected(self, F, x, weight, bias):
        inputs = (x, weight) if bias is None else (x, weight, bias)
        return F.FullyConnected(*inputs, no_bias=bias is None, num_hidden=self._units,
                                flatten=self._flatten, name="fwd")

    def __repr__(self):
        shape = self.weight.shape
        layout = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{type(self).__name__}({layout}, {self.act if self.act else 'linear'})"


class Lambda(Block):
    """Wraps a function (or the name of an ``mx.nd`` function) as a Block."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(ndarray, function):
                raise MXNetError(f"Function name {function} is not found in ndarray.")
            self._func_impl = getattr(ndarray, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type "
                             f"{type(function)}")

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return f"{type(self).__name__}({self._func_impl.__name__})"


class HybridLambda(HybridBlock):
    """Wraps ``function(F, x, *args)`` (or the name of an operator present in
    both ``mx.nd`` and ``mx.sym``) as a HybridBlock."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from ... import symbol
            if not (hasattr(ndarray, function) and hasattr(symbol, function)):
                raise MXNetError(f"Function name {function} is not found in symbol/ndarray.")
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type "
                             f"{type(function)}")

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return f"{type(self).__name__}({self._func_name})"


class Identity(HybridBlock):
    """Returns its input unchanged (a placeholder branch in Concurrent blocks)."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        return x


class Concurrent(Sequential):
    """Runs every child on the same input and concatenates the outputs along ``axis``."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        return _concat(self, ndarray, *[block(x) for block in self._children.values()])


class HybridConcurrent(HybridSequential):
    """Hybridizable Concurrent: children's outputs concatenated along ``axis``."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        return _concat(self, F, *[block(x) for block in self._children.values()])


@legacy_body
def _concat(block, F, *outputs):
    """The children's outputs joined along ``block.axis``."""
    return F.concat(*outputs, dim=block.axis)
