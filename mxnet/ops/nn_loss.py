"""Neural-network loss layers: SoftmaxOutput and the other "*Output" layers,
softmax_cross_entropy, IdentityAttachKLSparseReg, and the per-example softmax
cross-entropy that gluon's SoftmaxCrossEntropyLoss runs imperatively.

The "*Output" layers are MXNet's legacy losses: the forward pass returns the
prediction (softmax probabilities, the identity or a sigmoid), and the
backward pass sends the gradient of the loss with respect to the input,
computed from the label, whatever gradient arrives from above (only
``SoftmaxOutput(out_grad=True)`` multiplies by it). Labels get zero gradient.
Labels are class indices stored in the data's float dtype (MXNet requires one
dtype for both); they are truncated to integers, and indices outside the
class range select no class.

CTCLoss (also ctc_loss and the contrib names) computes the loss in the forward
pass and its gradient in a private backward op, both over the CTC lattice in
log space, vectorised over the batch and lattice states.
"""
import math

import numpy as np

from ..base import MXNetError
from .nn_activation import float_same_type, require_float
from .params import Param
from .quiet import quiet
from .registry import register, run_host_op

_GRAD_SCALE = Param("float", 1.0, "Scale of the gradient.")


def _labels_like_data(op, data_dtype, label_dtype):
    if label_dtype != data_dtype:
        raise MXNetError(f"{op}: 'label' must have the dtype of data ({data_dtype}), "
                         f"got {label_dtype}")


def _class_index(xp, label):
    """Labels as integer class indices (truncated toward zero, like a C cast)."""
    return xp.trunc(label).astype(np.int64) if label.dtype.kind == "f" else \
        label.astype(np.int64)


# -- SoftmaxOutput ------------------------------------------------------------------

_SOFTMAX_OUTPUT_PARAMS = {
    "grad_scale": _GRAD_SCALE,
    "ignore_label": Param("float", -1.0, "Label whose gradient is zeroed when use_ignore."),
    "multi_output": Param("bool", False, "Softmax over axis 1 at every position of "
                          "(n, k, x1, x2, ...) data, with labels of shape (n, x1, x2, ...)."),
    "use_ignore": Param("bool", False, "Zero the gradient where the label is ignore_label."),
    "preserve_shape": Param("bool", False, "Softmax over the last axis, keeping the shape."),
    "normalization": Param("str", "null", "Divide the gradient by nothing (null), the batch "
                           "size (batch) or the number of labels not ignored (valid).",
                           choices=("batch", "null", "valid")),
    "out_grad": Param("bool", False, "Multiply the gradient by the incoming gradient."),
    "smooth_alpha": Param("float", 0.0, "Label smoothing: the label class gets 1 - alpha and "
                          "each other class alpha / (k - 1)."),
}


def _softmax_output_label_shapes(attrs, data):
    """The label shapes accepted for ``data``; the first is the inferred one."""
    data = tuple(data)
    if attrs.multi_output:
        rest = data[2:]
        size = int(np.prod(rest))
        return [(data[0],) + rest, (data[0], size), (data[0], 1) + rest]
    return [data[:-1]]


def _softmax_output_shape(attrs, shapes):
    data, label = shapes
    if data is None:
        return shapes, [None]
    accepted = _softmax_output_label_shapes(attrs, data)
    if len(data) < 2:
        raise MXNetError(f"SoftmaxOutput: data must have at least 2 dimensions, got "
                         f"{tuple(data)}")
    if label is not None and tuple(label) not in accepted:
        raise MXNetError(f"SoftmaxOutput: label must have shape {accepted[0]} for data "
                         f"{tuple(data)}, got {tuple(label)}")
    return [data, label if label is not None else accepted[0]], [data]


def _softmax_output_type(attrs, types):
    if types[0] is not None and types[1] is not None:
        _labels_like_data("SoftmaxOutput", types[0], types[1])
    return float_same_type("SoftmaxOutput")(attrs, types)


def _class_rows(attrs, xp, array):
    """``array`` viewed as (rows, classes) with the class axis last; and an
    inverse turning such rows back into the original layout."""
    shape = array.shape
    if attrs.multi_output:
        moved = xp.moveaxis(array, 1, -1)
        moved_shape = moved.shape
        return moved.reshape(-1, shape[1]), \
            lambda rows: xp.moveaxis(rows.reshape(moved_shape), -1, 1)
    if attrs.preserve_shape:
        return array.reshape(-1, shape[-1]), lambda rows: rows.reshape(shape)
    return array.reshape(shape[0], -1), lambda rows: rows.reshape(shape)


def _check_softmax_output(data, label, attrs):
    require_float("SoftmaxOutput", data.dtype)
    _labels_like_data("SoftmaxOutput", data.dtype, label.dtype)
    _softmax_output_shape(attrs, [data.shape, label.shape])


@register("SoftmaxOutput", aliases=("Softmax",), inputs=("data", "label"),
          params=_SOFTMAX_OUTPUT_PARAMS, infer_shape=_softmax_output_shape,
          infer_type=_softmax_output_type,
          gradient=lambda F, attrs, ins, outs, g: [
              _softmax_output_backward(F, attrs, ins, outs, g), F.zeros_like(ins[1])])
def _softmax_output(xp, attrs, data, label):
    """Softmax probabilities in the forward pass; the gradient of the
    cross-entropy with the label in the backward pass. The softmax runs over
    the flattened non-batch axes, over axis 1 (``multi_output``) or over the
    last axis (``preserve_shape``)."""
    _check_softmax_output(data, label, attrs)
    rows, back = _class_rows(attrs, xp, data)
    with np.errstate(over="ignore", invalid="ignore"):
        e = xp.exp(rows - rows.max(axis=1, keepdims=True))
        return back(e / e.sum(axis=1, keepdims=True)).astype(data.dtype, copy=False)


def _softmax_output_backward(F, attrs, ins, outs, g):
    grad = F._internal._backward_SoftmaxOutput(outs[0], ins[1], **attrs)
    return grad * g[0] if attrs.out_grad else grad


@register("_backward_SoftmaxOutput", inputs=("output", "label"), params=_SOFTMAX_OUTPUT_PARAMS,
          infer_shape=_softmax_output_shape, infer_type=_softmax_output_type)
def _softmax_output_grad(xp, attrs, output, label):
    """Gradient of SoftmaxOutput from its output probabilities and labels."""
    _check_softmax_output(output, label, attrs)
    rows, back = _class_rows(attrs, xp, output)
    n_rows, k = rows.shape
    # Without multi_output the label is read as a flat list, one per row (an
    # oversized label of 3-d data contributes its first entries, as in MXNet).
    index = _class_index(xp, label.reshape(-1))
    row_index = index[:n_rows]
    grad = rows.astype(np.float64)
    hit = (row_index >= 0) & (row_index < k)
    alpha = attrs.smooth_alpha if not attrs.multi_output else 0.0
    if alpha:
        grad -= alpha / (k - 1)
    rows_hit = xp.nonzero(hit)[0]
    grad[rows_hit, row_index[rows_hit]] -= 1 - alpha - (alpha / (k - 1) if alpha else 0)
    ignored = index == int(attrs.ignore_label)
    if attrs.use_ignore:
        grad[ignored[:n_rows]] = 0
    valid = index.size - int(ignored.sum()) if attrs.use_ignore else index.size
    if attrs.normalization == "valid":
        scale = attrs.grad_scale / max(valid, 1)
    elif attrs.normalization == "batch":
        scale = attrs.grad_scale / index.size
    elif attrs.multi_output:
        # MXNet divides by the number of positions per sample even for 'null'.
        scale = attrs.grad_scale / (index.size // output.shape[0])
    else:
        scale = attrs.grad_scale
    return back(grad * scale).astype(output.dtype)


# -- regression outputs ---------------------------------------------------------------

def _regression_shape(op):
    def infer(attrs, shapes):
        data, label = shapes
        if data is None:
            return shapes, [None]
        data = tuple(data)
        if label is not None:
            label = tuple(label)
            if label != data and not (len(label) == 1 and label[0] == data[0]
                                      and int(np.prod(data)) == data[0]):
                raise MXNetError(f"{op}: label must have the data shape {data}, got {label}")
            return [data, label], [data]
        return [data, data], [data]
    return infer


def _regression_type(op):
    def infer(attrs, types):
        if types[0] is not None and types[1] is not None:
            _labels_like_data(op, types[0], types[1])
        return float_same_type(op)(attrs, types)
    return infer


def _regression_grad(kind):
    def rule(F, attrs, ins, outs, g):
        y, label = outs[0], ins[1]
        # MXNet scales by grad_scale over the number of outputs per sample.
        per_sample = max(1, int(np.prod(label.shape[1:])) if label.ndim > 1 else 1)
        diff = y - F.reshape_like(label, y)
        if kind == "mae":
            diff = 2 * (diff > 0) - 1  # sign, with -1 where equal (as MXNet)
        return [diff * (attrs.grad_scale / per_sample), F.zeros_like(label)]
    return rule


def _regression(name, kind, forward, doc):
    @register(name, inputs=("data", "label"), params={"grad_scale": _GRAD_SCALE},
              infer_shape=_regression_shape(name), infer_type=_regression_type(name),
              gradient=_regression_grad(kind), doc=doc)
    def compute(xp, attrs, data, label):
        require_float(name, data.dtype)
        _labels_like_data(name, data.dtype, label.dtype)
        _regression_shape(name)(attrs, [data.shape, label.shape])
        with np.errstate(over="ignore"):
            return forward(xp, data).astype(data.dtype, copy=False)
    return compute


_regression("LinearRegressionOutput", "l2", lambda xp, x: x.copy(),
            "Identity in the forward pass; the backward pass sends the gradient of the "
            "squared error with the label, (output - label) * grad_scale / m, where m is "
            "the number of outputs per sample.")
_regression("MAERegressionOutput", "mae", lambda xp, x: x.copy(),
            "Identity in the forward pass; the backward pass sends the gradient of the "
            "absolute error, sign(output - label) * grad_scale / m (m outputs per sample).")
_regression("LogisticRegressionOutput", "l2", lambda xp, x: 1 / (1 + xp.exp(-x)),
            "Sigmoid in the forward pass; the backward pass sends the gradient of the "
            "logistic loss, (sigmoid(x) - label) * grad_scale / m (m outputs per sample).")


# -- SVMOutput ---------------------------------------------------------------------

_SVM_PARAMS = {
    "margin": Param("float", 1.0, "The margin of the hinge loss."),
    "regularization_coefficient": Param("float", 1.0, "Scale of the gradient."),
    "use_linear": Param("bool", False, "Linear hinge (L1-SVM) instead of squared (L2-SVM)."),
}


def _svm_shape(attrs, shapes):
    data, label = shapes
    if data is None:
        return shapes, [None]
    if len(data) < 2:
        raise MXNetError(f"SVMOutput: data must have at least 2 dimensions "
                         f"(..., classes), got {tuple(data)}")
    want = tuple(data[:-1])
    if label is not None and tuple(label) != want:
        raise MXNetError(f"SVMOutput: label must have shape {want} for data {tuple(data)}, "
                         f"got {tuple(label)}")
    return [data, want], [data]


def _svm_type(attrs, types):
    if types[0] is not None and types[1] is not None:
        _labels_like_data("SVMOutput", types[0], types[1])
    return float_same_type("SVMOutput")(attrs, types)


def _check_svm(data, label, attrs):
    require_float("SVMOutput", data.dtype)
    _labels_like_data("SVMOutput", data.dtype, label.dtype)
    _svm_shape(attrs, [data.shape, label.shape])


@register("SVMOutput", inputs=("data", "label"), params=_SVM_PARAMS, infer_shape=_svm_shape,
          infer_type=_svm_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._backward_SVMOutput(ins[0], ins[1], **attrs), F.zeros_like(ins[1])])
def _svm_output(xp, attrs, data, label):
    """Identity in the forward pass; the backward pass sends the gradient of the
    one-vs-rest hinge loss (squared, or linear with ``use_linear``) with the
    class scores on the last axis, scaled by ``regularization_coefficient``."""
    _check_svm(data, label, attrs)
    return data.copy()


@register("_backward_SVMOutput", inputs=("data", "label"), params=_SVM_PARAMS,
          infer_shape=_svm_shape, infer_type=_svm_type)
def _svm_output_grad(xp, attrs, data, label):
    """Gradient of SVMOutput's hinge loss."""
    _check_svm(data, label, attrs)
    k = data.shape[-1]
    index = _class_index(xp, label)[..., None]
    is_label = xp.arange(k) == index
    m = data.dtype.type(attrs.margin)
    # The label class is pushed above +margin, the others below -margin.
    signed = xp.where(is_label, -data, data)
    active = (m + signed > 0).astype(data.dtype)
    sign = xp.where(is_label, data.dtype.type(-1), data.dtype.type(1))
    grad = sign * active if attrs.use_linear else sign * active * 2 * (m + signed)
    return (grad * data.dtype.type(attrs.regularization_coefficient)).astype(data.dtype)


# -- softmax_cross_entropy --------------------------------------------------------------

def _sce_shape(attrs, shapes):
    data, label = shapes
    if data is not None and len(data) != 2:
        raise MXNetError(f"softmax_cross_entropy: data must be 2-d (batch, classes), "
                         f"got {tuple(data)}")
    if label is not None and len(label) != 1:
        raise MXNetError(f"softmax_cross_entropy: label must be 1-d (batch,), "
                         f"got {tuple(label)}")
    if data is not None and label is not None and data[0] != label[0]:
        raise MXNetError(f"softmax_cross_entropy: data {tuple(data)} and label "
                         f"{tuple(label)} must have the same batch size")
    return [data, label if label is not None or data is None else (data[0],)], [(1,)]


def _sce_type(attrs, types):
    if types[0] is not None and types[1] is not None:
        _labels_like_data("softmax_cross_entropy", types[0], types[1])
    return float_same_type("softmax_cross_entropy")(attrs, types)


def _sce_grad(F, attrs, ins, outs, g):
    data, label = ins
    onehot = F.one_hot(label, depth=data.shape[1], dtype=np.dtype(data.dtype).name)
    return [F.broadcast_mul(F.softmax(data) - onehot, g[0]), None]


@register("softmax_cross_entropy", inputs=("data", "label"), infer_shape=_sce_shape,
          infer_type=_sce_type, gradient=_sce_grad)
@quiet
def _softmax_cross_entropy(xp, attrs, data, label):
    """The cross-entropy of softmax(data) with the integer class labels,
    summed over the batch: a (1,) array. No gradient flows to the label."""
    require_float("softmax_cross_entropy", data.dtype)
    _labels_like_data("softmax_cross_entropy", data.dtype, label.dtype)
    _sce_shape(None, [data.shape, label.shape])
    index = _class_index(xp, label)
    k = data.shape[1]
    if index.size and (int(index.min()) < 0 or int(index.max()) >= k):
        raise MXNetError(f"softmax_cross_entropy: labels must be class indices in [0, {k}), "
                         f"got values from {int(index.min())} to {int(index.max())}")
    x = data.astype(np.promote_types(data.dtype, np.float32))
    top = x.max(axis=1, keepdims=True)
    log_total = xp.log(xp.exp(x - top).sum(axis=1)) + top[:, 0]
    picked = x[xp.arange(x.shape[0]), index]
    return (log_total - picked).sum(keepdims=True).reshape(1).astype(data.dtype)


# -- _softmax_ce_per_example: gluon's SoftmaxCrossEntropyLoss in one op -----------------
#
# Imperative Gluon computes the loss as log_softmax, pick, negative and mean (four ops
# forward, four backward). For the common case (2-d scores, sparse labels, classes on
# the last axis) the loss calls this op instead: the same kernels in the same order,
# so the values are those of the four-op chain, for one op call each way.

def _ce_shape(op):
    def infer(attrs, shapes):
        data, label = shapes
        if data is not None and len(data) != 2:
            raise MXNetError(f"{op}: data must be 2-d (batch, classes), got {tuple(data)}")
        if data is not None and label is not None and math.prod(label) != data[0]:
            raise MXNetError(f"{op}: label must hold one class index per example "
                             f"({data[0]}), got shape {tuple(label)}")
        return [data, label], [None if data is None else (data[0],)]
    return infer


def _ce_type(op):
    def infer(attrs, types):
        if types[0] is not None:
            require_float(op, types[0])
        return types, [types[0]]
    return infer


_SOFTMAX_LAST = {"axis": -1}


def _class_columns(xp, label, classes):
    """The labels as a column of class indices, truncated to integers and clipped
    into [0, classes) exactly as pick(mode='clip') reads them."""
    index = label.reshape(-1, 1)
    if index.dtype.kind != "i":
        index = index.astype(np.int64)
    return xp.minimum(xp.maximum(index, 0), classes - 1)


def _log_probs_and_index(op, xp, data, label):
    """log_softmax of ``data`` over the classes (through the backends, as the
    log_softmax op runs) and the labels as clipped column indices."""
    if data.ndim != 2 or label.size != data.shape[0]:
        _ce_shape(op)(None, [data.shape, label.shape])
    require_float(op, data.dtype)
    log_probs = run_host_op("log_softmax", xp, _SOFTMAX_LAST, data)
    return log_probs, _class_columns(xp, label, data.shape[1])


# The backward op needs the forward's log-probabilities. Rather than recompute
# them (most of the backward's cost for a classifier head), the latest forward on
# small host arrays leaves them here with the exact bytes of its inputs; the
# backward reuses them only when its data and labels are byte for byte those
# inputs, so a changed or different input simply recomputes. One entry, replaced
# whole (one assignment), so concurrent engine workers at worst miss.
_MEMO_LIMIT = 1 << 16  # elements: beyond this the copy kept is memory, not saved time
_memo = None


def _input_key(a):
    return a.shape, a.dtype, a.tobytes()


def _remember(xp, data, label, log_probs, index):
    global _memo
    if xp is np and data.size <= _MEMO_LIMIT:
        _memo = (_input_key(data), _input_key(label), log_probs, index)


def _recall(xp, data, label):
    """(log_probs, index) of the latest forward when it ran on these exact inputs."""
    memo = _memo
    if memo is not None and xp is np and memo[0] == _input_key(data) \
            and memo[1] == _input_key(label):
        return memo[2], memo[3]
    return None


@register("_softmax_ce_per_example", inputs=("data", "label"),
          infer_shape=_ce_shape("_softmax_ce_per_example"),
          infer_type=_ce_type("_softmax_ce_per_example"),
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._backward_softmax_ce_per_example(g[0], ins[0], ins[1]), None])
def _softmax_ce_per_example(xp, attrs, data, label):
    """Per-example cross-entropy ``-log_softmax(data)[i, label[i]]`` of 2-d scores
    and class indices (clipped into range, like pick); shape (batch,)."""
    log_probs, index = _log_probs_and_index("_softmax_ce_per_example", xp, data, label)
    _remember(xp, data, label, log_probs, index)
    return xp.negative(log_probs[xp.arange(data.shape[0]), index[:, 0]])


def _ce_backward_grad(F, attrs, ins, outs, h):
    # out = g * (softmax(x) - onehot): linear in g; through softmax in x.
    g, data, label, h = ins[0], ins[1], ins[2], h[0]
    probs = F.softmax(data, axis=-1)
    dg = F.sum(h * probs, axis=-1) - F.pick(h, label, axis=-1)
    dx = F.broadcast_mul(F._internal._backward_softmax(h, probs, axis=-1),
                         F.expand_dims(g, axis=1))
    return [dg, dx, None]


@register("_backward_softmax_ce_per_example", inputs=("grad", "data", "label"),
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]),
          gradient=_ce_backward_grad)
def _softmax_ce_per_example_backward(xp, attrs, grad, data, label):
    """Gradient of ``_softmax_ce_per_example``:
    ``grad[i] * (softmax(data)[i] - onehot(label[i]))``, evaluated as
    log_softmax's backward of pick's scattered gradient (same values)."""
    known = _recall(xp, data, label)
    log_probs, index = known if known is not None else _log_probs_and_index(
        "_backward_softmax_ce_per_example", xp, data, label)
    g = grad.reshape(-1, 1)
    if g.dtype == np.float16:  # computed in float32, as log_softmax's backward does
        g, log_probs = g.astype(np.float32), log_probs.astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        res = xp.exp(log_probs)
        res *= g
        res[xp.arange(data.shape[0]), index[:, 0]] -= g[:, 0]
    return res.astype(data.dtype, copy=False)


# -- IdentityAttachKLSparseReg ----------------------------------------------------------

_KL_PARAMS = {
    "sparseness_target": Param("float", 0.1, "The target mean activation."),
    "penalty": Param("float", 0.001, "Weight of the KL sparseness penalty."),
    "momentum": Param("float", 0.9, "Momentum of the running mean activation."),
}


def _kl_shape(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None]
    if len(data) < 2:
        raise MXNetError(f"IdentityAttachKLSparseReg: data must have at least 2 dimensions "
                         f"(batch, units), got {tuple(data)}")
    return [data, (data[1],)], [data]


def _kl_grad(F, attrs, ins, outs, g):
    grad = F._internal._backward_IdentityAttachKLSparseReg(g[0], ins[0], ins[1], **attrs)
    return [grad, None]


@register("IdentityAttachKLSparseReg", aux=("moving_avg",), params=_KL_PARAMS,
          infer_shape=_kl_shape, infer_type=float_same_type("IdentityAttachKLSparseReg"),
          gradient=_kl_grad)
def _identity_kl(xp, attrs, data, moving_avg):
    """Identity in the forward pass. The backward pass updates the running mean
    activation of each unit (axis 1), ``moving_avg = momentum * moving_avg +
    (1 - momentum) * batch mean``, then adds the gradient of the KL
    divergence between the target sparseness and that mean, times
    ``penalty``, to the incoming gradient (sparse autoencoders)."""
    require_float("IdentityAttachKLSparseReg", data.dtype)
    _kl_shape(attrs, [data.shape, moving_avg.shape])
    return data.copy()


@register("_backward_IdentityAttachKLSparseReg", inputs=("grad", "data", "moving_avg"),
          params=_KL_PARAMS, mutate_inputs=(2,),
          infer_shape=lambda attrs, s: (s, [s[1]]),
          infer_type=lambda attrs, t: (t, [t[1]]))
def _identity_kl_grad(xp, attrs, grad, data, moving_avg):
    """Update ``moving_avg`` in place and return the regularised gradient."""
    if moving_avg.shape != (data.shape[1],):
        raise MXNetError(f"IdentityAttachKLSparseReg: moving_avg must have shape "
                         f"({data.shape[1]},), got {moving_avg.shape}")
    axes = (0,) + tuple(range(2, data.ndim))
    moving_avg *= attrs.momentum
    moving_avg += (1 - attrs.momentum) * data.mean(axis=axes).astype(moving_avg.dtype)
    rho = attrs.sparseness_target
    avg = moving_avg.reshape((-1,) + (1,) * (data.ndim - 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = attrs.penalty * (-rho / avg + (1 - rho) / (1 - avg))
    return (grad + penalty).astype(grad.dtype)


# -- CTCLoss ------------------------------------------------------------------------

_CTC_PARAMS = {
    "use_data_lengths": Param("bool", False, "Read each sequence's length from the "
                              "'data_lengths' input (otherwise all use the full length)."),
    "use_label_lengths": Param("bool", False, "Read each label sequence's length from "
                               "'label_lengths' (otherwise a label ends at the first padding "
                               "value: 0 with blank_label='first', -1 with 'last')."),
    "blank_label": Param("str", "first", "Which class is the blank: 'first' (0, labels are "
                         "1..C-1) or 'last' (C-1, labels are 0..C-2).",
                         choices=("first", "last")),
}


def _ctc_inputs(op, attrs, lengths):
    """The (data_lengths, label_lengths) among the optional inputs given,
    which MXNet passes only when their flags are set."""
    want = int(attrs.use_data_lengths) + int(attrs.use_label_lengths)
    if len(lengths) != want:
        raise MXNetError(f"{op}: expects {2 + want} inputs with use_data_lengths="
                         f"{attrs.use_data_lengths} and use_label_lengths="
                         f"{attrs.use_label_lengths}, got {2 + len(lengths)}")
    lengths = list(lengths)
    data_lengths = lengths.pop(0) if attrs.use_data_lengths else None
    label_lengths = lengths.pop(0) if attrs.use_label_lengths else None
    return data_lengths, label_lengths


def _ctc_shape(attrs, shapes):
    data, label = shapes[0], shapes[1]
    _ctc_inputs("CTCLoss", attrs, shapes[2:])
    if data is not None and len(data) != 3:
        raise MXNetError(f"CTCLoss: data must be 3-d (sequence length, batch, classes), "
                         f"got {tuple(data)}")
    if label is not None and len(label) != 2:
        raise MXNetError(f"CTCLoss: label must be 2-d (batch, max label length), "
                         f"got {tuple(label)}")
    if data is None:
        return shapes, [None]
    if label is not None:
        if label[0] != data[1]:
            raise MXNetError(f"CTCLoss: data {tuple(data)} and label {tuple(label)} must "
                             f"have the same batch size")
        if label[1] > data[0]:
            raise MXNetError(f"CTCLoss: labels of length {label[1]} cannot fit in "
                             f"sequences of length {data[0]}")
    return shapes[:2] + [(data[1],)] * (len(shapes) - 2), [(data[1],)]


def _ctc_type(attrs, types):
    if types[0] is not None:
        require_float("CTCLoss", types[0])
    return types, [types[0]]


def _ctc_setup(op, xp, attrs, data, label, lengths):
    """Check the inputs; return log-probabilities (T, N, C) in float64, the
    extended label sequences (N, 2L+1) with blanks between labels, their
    lengths (N,) and the sequence lengths (N,)."""
    require_float(op, data.dtype)
    data_lengths, label_lengths = _ctc_inputs(op, attrs, lengths)
    _ctc_shape(attrs, [data.shape, label.shape] + [x.shape for x in lengths])
    T, N, C = data.shape
    blank = 0 if attrs.blank_label == "first" else C - 1
    labels = _class_index(xp, label)
    width = labels.shape[1]
    if label_lengths is None:
        pad = labels == (0 if attrs.blank_label == "first" else -1)
        # A label sequence ends at its first padding value.
        n_labels = xp.where(pad.any(axis=1), pad.argmax(axis=1), width)
    else:
        n_labels = _class_index(xp, label_lengths.reshape(-1))
        if n_labels.shape != (N,) or int(n_labels.min()) < 0 or int(n_labels.max()) > width:
            raise MXNetError(f"{op}: label_lengths must hold {N} values in [0, {width}]")
    used = xp.arange(width) < n_labels[:, None]
    low, high = (1, C - 1) if attrs.blank_label == "first" else (0, C - 2)
    if bool((used & ((labels < low) | (labels > high))).any()):
        raise MXNetError(f"{op}: labels must be in [{low}, {high}] with blank_label="
                         f"'{attrs.blank_label}' and {C} classes")
    if data_lengths is None:
        steps = xp.full((N,), T, dtype=np.int64)
    else:
        steps = _class_index(xp, data_lengths.reshape(-1))
        if steps.shape != (N,) or int(steps.min()) < 0 or int(steps.max()) > T:
            raise MXNetError(f"{op}: data_lengths must hold {N} values in [0, {T}]")
    ext = xp.full((N, 2 * width + 1), blank, dtype=np.int64)
    ext[:, 1::2] = xp.where(used, labels, blank)
    x = data.astype(np.float64)
    logp = x - x.max(axis=2, keepdims=True)
    logp -= xp.log(xp.exp(logp).sum(axis=2, keepdims=True))
    return logp, ext, 2 * n_labels + 1, steps, blank


def _ctc_alpha(xp, logp, ext, ext_len, blank):
    """Forward variables log alpha (T, N, S) of the CTC lattice."""
    T, N, _ = logp.shape
    S = ext.shape[1]
    emit = xp.take_along_axis(logp, xp.broadcast_to(ext, (T, N, S)), axis=2)
    s = xp.arange(S)
    valid = s < ext_len[:, None]
    # A step may skip the blank between two different labels.
    skip = xp.zeros((N, S), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    alpha = xp.full((T, N, S), -np.inf)
    alpha[0, :, :2] = emit[0, :, :2]
    alpha[0] = xp.where(valid, alpha[0], -np.inf)
    for t in range(1, T):
        prev = alpha[t - 1]
        acc = prev.copy()
        acc[:, 1:] = xp.logaddexp(acc[:, 1:], prev[:, :-1])
        acc[:, 2:] = xp.where(skip[:, 2:], xp.logaddexp(acc[:, 2:], prev[:, :-2]), acc[:, 2:])
        alpha[t] = xp.where(valid, acc + emit[t], -np.inf)
    return alpha, emit, skip, valid


def _ctc_log_likelihood(xp, alpha, ext_len, steps):
    N = alpha.shape[1]
    rows = xp.arange(N)
    last = alpha[xp.maximum(steps - 1, 0), rows]
    end = xp.logaddexp(last[rows, ext_len - 1], last[rows, xp.maximum(ext_len - 2, 0)])
    # A single blank (empty label) has one final state, not two.
    return xp.where(ext_len > 1, end, last[rows, 0])


@register("CTCLoss", aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"),
          inputs=("data", "label", "data_lengths", "label_lengths"), params=_CTC_PARAMS,
          active_inputs=lambda a: ("data", "label")
          + (("data_lengths",) if a.use_data_lengths else ())
          + (("label_lengths",) if a.use_label_lengths else ()),
          infer_shape=_ctc_shape, infer_type=_ctc_type,
          gradient=lambda F, attrs, ins, outs, g: [F.broadcast_mul(
              F._internal._backward_CTCLoss(*ins, **attrs),
              F.reshape(g[0], shape=(1, -1, 1)))] + [None] * (len(ins) - 1))
@quiet
def _ctc_loss(xp, attrs, data, label, *lengths):
    """Connectionist temporal classification loss: for each sequence of the
    batch, -log of the total probability of all frame alignments of its label
    sequence, with softmax over the class axis of the (T, N, C) activations.
    Sequences too short for their labels (and empty sequences) get loss 0."""
    logp, ext, ext_len, steps, blank = _ctc_setup("CTCLoss", xp, attrs, data, label, lengths)
    alpha = _ctc_alpha(xp, logp, ext, ext_len, blank)[0]
    ll = _ctc_log_likelihood(xp, alpha, ext_len, steps)
    loss = xp.where(xp.isfinite(ll) & (steps > 0), -ll, 0)
    return loss.astype(data.dtype)


@register("_backward_CTCLoss", inputs=("data", "label", "data_lengths", "label_lengths"),
          params=_CTC_PARAMS, infer_shape=lambda attrs, s: (s, [s[0]]),
          infer_type=lambda attrs, t: (t, [t[0]]))
def _ctc_loss_grad(xp, attrs, data, label, *lengths):
    """Gradient of each sequence's CTC loss with respect to its activations."""
    logp, ext, ext_len, steps, blank = _ctc_setup("CTCLoss", xp, attrs, data, label, lengths)
    alpha, emit, skip, valid = _ctc_alpha(xp, logp, ext, ext_len, blank)
    ll = _ctc_log_likelihood(xp, alpha, ext_len, steps)
    T, N, S = alpha.shape
    final = (xp.arange(S) == (ext_len - 1)[:, None]) | (xp.arange(S) == (ext_len - 2)[:, None])
    beta = xp.full((T, N, S), -np.inf)
    nxt = xp.full((N, S), -np.inf)
    for t in range(T - 1, -1, -1):
        acc = nxt.copy()
        acc[:, :-1] = xp.logaddexp(acc[:, :-1], nxt[:, 1:])
        acc[:, :-2] = xp.where(skip[:, 2:], xp.logaddexp(acc[:, :-2], nxt[:, 2:]), acc[:, :-2])
        start = (t == steps - 1)[:, None]
        cur = xp.where(start, xp.where(final, 0.0, -np.inf), acc) + emit[t]
        cur = xp.where(valid & (t < steps)[:, None], cur, -np.inf)
        beta[t] = cur
        nxt = cur
    ok = xp.isfinite(ll) & (steps > 0)
    with np.errstate(invalid="ignore", over="ignore"):
        # Posterior occupancy of each lattice state, gathered per class.
        occ = xp.exp(alpha + beta - emit - xp.where(ok, ll, 0)[None, :, None])
    occ = xp.where(xp.isfinite(occ), occ, 0)
    C = data.shape[2]
    onehot = (ext[:, :, None] == xp.arange(C)).astype(np.float64)
    per_class = xp.einsum("tns,nsc->tnc", occ, onehot)
    live = ((xp.arange(T)[:, None] < steps[None, :]) & ok[None, :])[:, :, None]
    grad = xp.where(live, xp.exp(logp) - per_class, 0)
    return grad.astype(data.dtype)
