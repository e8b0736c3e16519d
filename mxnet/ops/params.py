"""Typed operator parameters: parse Python values and MXNet's string forms.

Symbol JSON stores every attribute as a string (``"(3, 3)"``, ``"True"``,
``"float32"``), and imperative calls pass Python values; both go through the
same parser, so an op sees one canonical value whatever the source.
"""
import ast

import numpy as np

from ..base import MXNetError

REQUIRED = object()

_DTYPE_NAMES = ("float16", "float32", "float64", "bfloat16", "uint8", "int8", "int32",
                "int64", "bool", "int16", "uint16", "uint32", "uint64")


def _err(op, name, expected, given):
    return MXNetError(f"{op}: argument '{name}' expects {expected}, got {given!r}")


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _to_int(v):
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    raise ValueError


def parse_int(v):
    if isinstance(v, str):
        v = _literal(v.strip())
    return _to_int(v)


def parse_float(v):
    if isinstance(v, str):
        s = v.strip()
        low = s.lower()
        if low in ("inf", "+inf", "infinity"):
            return float("inf")
        if low in ("-inf", "-infinity"):
            return float("-inf")
        if low == "nan":
            return float("nan")
        v = _literal(s)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        raise ValueError
    return float(v)


def parse_bool(v):
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("true", "1"):
            return True
        if s in ("false", "0"):
            return False
        raise ValueError
    if isinstance(v, (bool, np.bool_, int, np.integer)) and int(v) in (0, 1):
        return bool(v)
    raise ValueError


def parse_shape(v):
    """A tuple of ints from ``(2, 3)``, ``[2, 3]``, ``3``, ``"(2,3)"`` or ``"[]"``."""
    if isinstance(v, str):
        s = v.strip()
        v = _literal(s) if s else ()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),)
    if isinstance(v, (tuple, list)):
        return tuple(None if d is None else _to_int(d) for d in v)
    raise ValueError


def parse_float_tuple(v):
    if isinstance(v, str):
        v = _literal(v.strip())
    if isinstance(v, (int, float, np.number)):
        return (float(v),)
    if isinstance(v, (tuple, list)):
        return tuple(float(x) for x in v)
    raise ValueError


def parse_dtype(v):
    """Canonical dtype name (``'float32'``) from a name, NumPy type or dtype."""
    if isinstance(v, str):
        if v in _DTYPE_NAMES:
            return v
    try:
        name = np.dtype(v).name
    except TypeError:
        raise ValueError from None
    if name not in _DTYPE_NAMES:
        raise ValueError
    return name


def parse_str(v):
    if isinstance(v, str):
        return v
    raise ValueError


def parse_any(v):
    return v


_PARSERS = {
    "int": (parse_int, "an integer"),
    "float": (parse_float, "a number"),
    "bool": (parse_bool, "a boolean"),
    "shape": (parse_shape, "a shape tuple of integers"),
    "floats": (parse_float_tuple, "a tuple of numbers"),
    "dtype": (parse_dtype, "a dtype name"),
    "str": (parse_str, "a string"),
    "any": (parse_any, "any value"),
}


class Param:
    """One operator parameter: its type, default, allowed values and doc.

    ``type`` is one of int, float, bool, shape, floats, dtype, str, any;
    ``choices`` restricts the parsed value; ``optional`` allows ``None``
    (and the string ``"None"``) in addition to the typed value.
    """
    __slots__ = ("type", "default", "choices", "optional", "doc", "_parse", "_expected")

    def __init__(self, type, default=REQUIRED, doc="", choices=None, optional=False):
        if type not in _PARSERS:
            raise ValueError(f"unknown parameter type {type!r}")
        self.type = type
        self.default = default
        self.choices = tuple(choices) if choices is not None else None
        self.optional = optional or default is None
        self.doc = doc
        self._parse, self._expected = _PARSERS[type]
        if self.choices is not None:
            self._expected = "one of " + ", ".join(repr(c) for c in self.choices)

    @property
    def required(self):
        return self.default is REQUIRED

    def parse(self, op, name, value):
        if value is None or (self.optional and isinstance(value, str) and value == "None"):
            if self.optional:
                return None
            raise _err(op, name, self._expected, value)
        try:
            out = self._parse(value)
        except (ValueError, TypeError, OverflowError):
            raise _err(op, name, self._expected, value) from None
        if self.choices is not None and out not in self.choices:
            raise _err(op, name, self._expected, value)
        return out

    def type_doc(self):
        desc = self._expected
        if self.optional:
            desc += " or None"
        if self.required:
            return desc + ", required"
        return f"{desc}, optional, default={self.default!r}"
