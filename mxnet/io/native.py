"""Shared machinery of the built-in iterators: keyword parsing with MXNet's
parameter types, and the batching rule of ``round_batch``."""
import ast

import numpy as np

from ..base import MXNetError

REQUIRED = object()
_DTYPES = ("float32", "float64", "float16", "uint8", "int8", "int32", "int64")


def as_shape(value):
    """A shape from a tuple, list, int or a string such as ``'(3, 224, 224)'``."""
    if isinstance(value, str):
        value = ast.literal_eval(value.strip() or "()")
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def as_bool(value):
    if isinstance(value, str):
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise ValueError(value)
    return bool(value)


def as_dtype(value):
    if value is None or value == "None":
        return None
    name = np.dtype(value).name
    if name not in _DTYPES:
        raise ValueError(value)
    return name


def parse(iter_name, kwargs, spec):
    """Check ``kwargs`` against ``spec`` (name -> (converter, default)) and fill the defaults.

    Unknown names, missing required values and ill-typed values raise
    MXNetError naming the iterator and the parameter. Names in ``spec`` whose
    converter is None are accepted and ignored (MXNet tuning knobs with no
    effect here).
    """
    unknown = sorted(set(kwargs) - set(spec))
    if unknown:
        raise MXNetError(f"{iter_name}: unknown parameter(s) {unknown}; accepted: {sorted(spec)}")
    out = {}
    for name, (convert, default) in spec.items():
        if name not in kwargs:
            if default is REQUIRED:
                raise MXNetError(f"{iter_name}: required parameter {name!r} is missing")
            out[name] = default
            continue
        value = kwargs[name]
        if convert is None:
            out[name] = value
            continue
        try:
            out[name] = convert(value)
        except (TypeError, ValueError, SyntaxError):
            raise MXNetError(f"{iter_name}: invalid value {value!r} for parameter {name!r}") from None
    return out


class RoundBatches:
    """Cut an epoch's item order into batches the way MXNet's iterators do.

    A last batch that comes up short is completed, when ``round_batch`` is on,
    with the first items of the order, and the next epoch then skips those
    items (the data is consumed as one endless stream); with ``round_batch``
    off it stays short and the caller fills the rest. ``pad`` counts the
    filled slots in either case.
    """

    def __init__(self, batch_size, round_batch=True):
        self.batch_size = batch_size
        self.round_batch = round_batch
        self.skip = 0

    def rewind(self):
        """Forget the wrap-around of the previous epoch (a fresh start)."""
        self.skip = 0

    def __call__(self, order):
        order = np.asarray(order)
        items, self.skip = order[self.skip:], 0
        bs = self.batch_size
        for start in range(0, len(items), bs):
            chunk = items[start:start + bs]
            missing = bs - len(chunk)
            if missing and self.round_batch and len(order):
                chunk = np.concatenate([chunk, order[np.arange(missing) % len(order)]])
                self.skip = missing % len(order)
            yield chunk, missing
