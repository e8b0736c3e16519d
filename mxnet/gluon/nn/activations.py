"""Activation layers: Activation, LeakyReLU, PReLU, ELU, SELU, GELU, Swish.

Each is a HybridBlock over the ``Activation``/``LeakyReLU`` operators (Swish
over ``sigmoid``), so it runs imperatively and hybridized alike. Symbols
they create are named ``<prefix>fwd`` as in MXNet.
"""
from ... import initializer
from ...base import MXNetError
from ..block import HybridBlock
from ..np_boundary import legacy_body

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "Swish", "GELU"]


class Activation(HybridBlock):
    """Applies the ``Activation`` operator with ``act_type=activation``
    ('relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'). Its default
    prefix is the activation's name (``relu0_``)."""

    def __init__(self, activation, **kwargs):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name="fwd")

    def __repr__(self):
        return f"{type(self).__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """``x`` where positive, ``alpha * x`` elsewhere (``alpha >= 0``)."""

    def __init__(self, alpha, **kwargs):
        if alpha < 0:
            raise MXNetError(f"LeakyReLU: the slope coefficient alpha must be no less than 0, "
                             f"got {alpha}")
        super().__init__(**kwargs)
        self._alpha = alpha

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self):
        return f"{type(self).__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Leaky ReLU whose slope is learnt: a parameter ``alpha`` of shape
    ``(in_channels,)`` (one slope shared by all channels by default),
    initialised to 0.25."""

    def __init__(self, alpha_initializer=initializer.Constant(0.25), in_channels=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    @legacy_body
    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type="prelu", name="fwd")


class ELU(HybridBlock):
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """Scaled exponential linear unit (the self-normalising constants of
    Klambauer et al.)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="selu", name="fwd")


class GELU(HybridBlock):
    """Gaussian error linear unit, ``x * Phi(x)`` with the exact normal CDF."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="gelu", name="fwd")


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    @legacy_body
    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name="fwd")
