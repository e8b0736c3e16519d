"""dtype names, constants and type queries of ``mx.np`` (float32, pi, finfo, result_type...)."""
__all__ = []
