"""``mx.np`` array creation (array, zeros, arange, eye, linspace, *_like...)."""
__all__ = []
