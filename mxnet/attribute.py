"""``mx.attribute``: where MXNet 1.x keeps ``AttrScope`` (also ``mx.AttrScope``)."""
from .symbol.naming import AttrScope

__all__ = ["AttrScope"]
