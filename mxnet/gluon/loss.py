"""``mx.gluon.loss``: loss functions as HybridBlocks.

Every loss takes predictions and labels and returns one loss value per
example: elementwise losses are averaged (``mean(..., exclude=True)``) over
every axis but ``batch_axis``. ``sample_weight`` (broadcast against the
elementwise loss) and the scalar ``weight`` rescale the loss before that
reduction. The formulas and reductions follow MXNet 1.9 exactly, including
its quirks (KLDivLoss sums instead of averaging, PoissonNLLLoss averages
over everything, TripletLoss ignores sample weights).
"""
import numpy as np

from .. import ndarray
from ..base import numeric_types
from .block import HybridBlock
from .np_boundary import legacy_body
from .utils import is_np_array  # noqa: F401  (public in MXNet's gluon.loss namespace)

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss",
           "HingeLoss", "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss",
           "CosineEmbeddingLoss", "SDMLLoss"]


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """Scale ``loss`` by the broadcast ``sample_weight`` and the scalar ``weight``."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, numeric_types):
            raise TypeError(f"weight must be a number, got {type(weight).__name__}")
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """``x`` reshaped to ``y``'s shape (labels may come flat, e.g. (N,) for (N, 1))."""
    if F is ndarray:
        return x.reshape(y.shape)
    return F.reshape_like(x, y)


def _batch_mean(F, loss, batch_axis):
    return F.mean(loss, axis=batch_axis, exclude=True)


def _softrelu(F, x):
    return F.Activation(x, act_type="softrelu")


class Loss(HybridBlock):
    """Base class of losses: stores the scalar ``weight`` and the ``batch_axis``."""

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The loss computation; implemented by each subclass."""
        raise NotImplementedError


class L2Loss(Loss):
    """Half the squared error, ``weight/2 * (label - pred)^2``, averaged per example."""

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class L1Loss(Loss):
    """Absolute error ``|label - pred|``, averaged per example."""

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = _apply_weighting(F, F.abs(label - pred), self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross entropy with labels in [0, 1].

    ``pred`` are logits (computed stably as ``max(x,0) - x*z + log(1+exp(-|x|))``)
    unless ``from_sigmoid``, in which case they are probabilities. ``pos_weight``
    (broadcast against the loss) scales the positive-label term."""

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + _softrelu(F, -F.abs(pred))
            else:
                # x - x*z + (1 + (pw - 1)*z) * (log(1 + exp(-|x|)) + max(-x, 0))
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (_softrelu(F, -F.abs(pred))
                                                           + F.relu(-pred))
        else:
            eps = 1e-12
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1. - pred + eps) * (1. - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross entropy of ``softmax(pred)`` along ``axis``.

    With ``sparse_label`` the label holds class indices (shape of ``pred``
    without ``axis``), otherwise a distribution shaped like ``pred``.
    ``from_logits`` means ``pred`` already holds log-probabilities."""

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def _fused(self, F, pred, label, sample_weight):
        """Whether this call can run as one ``_softmax_ce_per_example`` op:
        imperative, sparse labels, 2-d scores with classes last, no sample weights
        (graphs keep the four-op form, so exported models stay MXNet's)."""
        return F is ndarray and self._sparse_label and not self._from_logits \
            and sample_weight is None and self._batch_axis == 0 and pred.ndim == 2 \
            and self._axis in (-1, 1) and label.size == pred.shape[0]

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if self._fused(F, pred, label, sample_weight):
            loss = F._internal._softmax_ce_per_example(pred, label)
            return _apply_weighting(F, loss, self._weight)
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``label * (log(label) - pred)``, summed per
    example; ``pred`` are log-probabilities unless ``from_logits=False``, in
    which case ``log_softmax`` along ``axis`` is applied first."""

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class CTCLoss(Loss):
    """Connectionist Temporal Classification loss (blank is the last class).

    ``pred`` is laid out ``layout`` ('NTC' or 'TNC'), ``label`` ``label_layout``
    ('NT' or 'TN') and padded with -1 (or 0 when lengths are given);
    optional ``pred_lengths``/``label_lengths`` give per-example lengths.
    Returns one loss per example, shape (N,)."""

    def __init__(self, layout="NTC", label_layout="NT", weight=None, **kwargs):
        if layout not in ("NTC", "TNC"):
            raise ValueError(f"Only 'NTC' and 'TNC' layouts for pred are supported. Got: {layout}")
        if label_layout not in ("NT", "TN"):
            raise ValueError("Only 'NT' and 'TN' layouts for label are supported. "
                             f"Got: {label_layout}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    @legacy_body
    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        inputs = [pred, label] + [x for x in (pred_lengths, label_lengths) if x is not None]
        loss = F.CTCLoss(*inputs, use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label="last")
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(Loss):
    """Smoothed L1: ``0.5/rho * err^2`` where ``|err| <= rho``, else ``|err| - rho/2``."""

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(loss))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class HingeLoss(Loss):
    """``max(0, margin - pred * label)`` with labels in {-1, 1}."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class SquaredHingeLoss(Loss):
    """``max(0, margin - pred * label)^2`` with labels in {-1, 1}."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))``; labels are {-1, 1} with
    ``label_format='signed'`` or {0, 1} with ``'binary'``."""

    def __init__(self, weight=None, batch_axis=0, label_format="signed", **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if label_format not in ("signed", "binary"):
            raise ValueError(f"label_format can only be signed or binary, recieved {label_format}.")

    @legacy_body
    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0  # {-1, 1} -> {0, 1}
        loss = F.relu(pred) - pred * label + _softrelu(F, -F.abs(pred))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class TripletLoss(Loss):
    """``max(0, |pred - positive|^2 - |pred - negative|^2 + margin)`` per example
    (squared distances summed over every axis but ``batch_axis``)."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    @legacy_body
    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class PoissonNLLLoss(Loss):
    """Negative log likelihood of ``target`` under a Poisson distribution.

    ``pred`` is the log of the rate when ``from_logits`` (``exp(pred) -
    target*pred``), else the rate (``pred - target*log(pred + epsilon)``).
    ``compute_full`` adds Stirling's approximation of ``log(target!)`` for
    targets above 1. The result is the mean over all elements, shape (1,)."""

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    @legacy_body
    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling = target * F.log(target) - target + 0.5 * F.log(2 * target * np.pi)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """For label 1: ``1 - cos(input1, input2)``; for label -1:
    ``max(0, cos(input1, input2) - margin)``. Returns shape (N, 1)."""

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    @legacy_body
    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, shape=(-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        zero = F.array([0]) if F is ndarray else F.zeros((1, 1))
        dissimilar = F.broadcast_maximum(zero, (label == -1) * (cos_sim - self._margin))
        loss = similar + dissimilar
        return _apply_weighting(F, loss, self._weight, sample_weight)

    @staticmethod
    def _cosine_similarity(F, x, y, axis=-1):
        """Cosine similarity along ``axis`` as an (N, 1) column, the norm product
        clipped below at 1e-12."""
        x_norm = F.reshape(F.norm(x, axis=axis), shape=(-1, 1))
        y_norm = F.reshape(F.norm(y, axis=axis), shape=(-1, 1))
        x_dot_y = F.reshape(F.sum(x * y, axis=axis), shape=(-1, 1))
        eps = F.array([1e-12]) if F is ndarray else F.full((1, 1), 1e-12)
        return x_dot_y / F.broadcast_maximum(x_norm * y_norm, eps)


class SDMLLoss(Loss):
    """Smoothed Deep Metric Learning loss over a batch of aligned pairs
    (``x1[i]``, ``x2[i]``) of shape (N, D): the KL divergence between the
    softmax over negative squared distances to every ``x2[j]`` and a target
    that puts ``1 - smoothing_parameter`` on the true pair and spreads the
    rest over the other N - 1. Needs concrete shapes (NDArray inputs)."""

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    @staticmethod
    def _compute_distances(F, x1, x2):
        """(N, N) squared euclidean distances between rows of ``x1`` and ``x2``."""
        if x1.shape != x2.shape:
            raise ValueError(f"SDMLLoss: x1 and x2 must have the same shape, got {x1.shape} "
                             f"and {x2.shape}")
        diffs = F.broadcast_sub(F.expand_dims(x1, axis=1), F.expand_dims(x2, axis=0))
        return F.sum(F.square(diffs), axis=2)

    def _compute_labels(self, F, batch_size):
        gold = F.eye(batch_size)
        off = self.smoothing_parameter / (batch_size - 1)
        return gold * (1 - self.smoothing_parameter) + (1 - gold) * off

    def hybrid_forward(self, F, x1, x2):
        return self.kl_loss(*self._log_probabilities_and_labels(F, x1, x2))

    @legacy_body
    def _log_probabilities_and_labels(self, F, x1, x2):
        labels = self._compute_labels(F, x1.shape[0])
        log_probabilities = F.log_softmax(-self._compute_distances(F, x1, x2), axis=1)
        return log_probabilities, labels.as_in_context(log_probabilities.context)
