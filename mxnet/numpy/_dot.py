"""``mx.np`` products (dot, matmul, tensordot, einsum, inner, outer, vdot)."""
__all__ = []
