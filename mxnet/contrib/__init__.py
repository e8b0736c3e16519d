"""Experimental and add-on APIs of MXNet (``mx.contrib``)."""
from . import quantization

__all__ = ["quantization"]
