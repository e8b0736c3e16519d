"""Simple layers without a family of their own: Dropout, Embedding, Flatten."""
from ..block import HybridBlock
from ..np_boundary import legacy_body

__all__ = ["Dropout", "Embedding", "Flatten"]


class Dropout(HybridBlock):
    """During training, zeroes each element with probability ``rate`` and
    scales the others by ``1 / (1 - rate)``; the identity otherwise.
    ``axes`` lists axes along which one draw is shared (e.g. whole channels)."""

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    @legacy_body
    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class Embedding(HybridBlock):
    """Looks up rows of a ``(input_dim, output_dim)`` weight: integer indices
    of any shape give outputs of that shape plus ``output_dim``.
    ``sparse_grad=True`` makes the weight's gradient row_sparse."""

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None,
                 sparse_grad=False, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True,
                                      grad_stype="row_sparse" if sparse_grad else "default")

    @legacy_body
    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"


class Flatten(HybridBlock):
    """Reshapes ``(N, d1, d2, ...)`` to ``(N, d1 * d2 * ...)``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.Flatten(x)

    def __repr__(self):
        return type(self).__name__
