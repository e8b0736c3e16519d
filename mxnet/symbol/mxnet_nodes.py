"""How MXNet 1.9.1's graph shows a node where our op declarations differ:
its op name, its number of outputs (the ``node_row_ptr`` of a symbol file)
and the output names that number implies.

Several MXNet operators keep outputs they never show, for their backward
pass: LRN its normalizer, ROIPooling the argmax, sort the indices. Its
oneDNN build (the one pip installs) also gives max pooling a hidden workspace.
Kernels here recompute or keep such values inside, so our ops declare fewer
outputs; RNN here always declares its states, where MXNet has them only with
``state_outputs``. Only the count written to the file and, for ops whose
MXNet outputs are named by index, the names differ: inference and execution
follow the op declarations. Some of MXNet's op aliases are copies of the op
here (``_sparse_dot``, ``uniform``); MXNet writes the op's own name.
"""
from ..ops.sparse_ops import BASE_NAME as _SPARSE_BASE_NAME

# The MXNet aliases misc_ops registers as copies: {copy: MXNet's op name}.
_COPIED_OPS = {"uniform": "_random_uniform", "normal": "_random_normal"}


def mxnet_op_name(op):
    """The name MXNet gives operator ``op`` in files and debug text."""
    name = op.name
    return _SPARSE_BASE_NAME.get(name) or _COPIED_OPS.get(name, name)


# Layouts of the pooling that MXNet's oneDNN build runs (channels first).
_ONEDNN_POOL_LAYOUTS = (None, "NCW", "NCHW", "NCDHW")


def _pooling(attrs):
    """Max pooling that oneDNN runs keeps its workspace as a second output;
    the kernel's rank is what MXNet checks, even under ``global_pool``."""
    onednn = 1 <= len(attrs.kernel) <= 3 and attrs.get("layout") in _ONEDNN_POOL_LAYOUTS
    return 2 if onednn and attrs.pool_type == "max" else 1


def _rnn(attrs):
    if not attrs.state_outputs:
        return 1
    return 3 if attrs.mode == "lstm" else 2


def _topk(attrs):
    return 1 if attrs.ret_typ in ("indices", "mask") else 2


def _fixed(count):
    return lambda attrs: count


# Op name (as registered here) -> attrs -> MXNet's output count.
_COUNTS = {
    "Pooling": _pooling,
    "RNN": _rnn,
    "topk": _topk,
    "sort": _fixed(2),
    "LRN": _fixed(2),
    "L2Normalization": _fixed(2),
    "InstanceNorm": _fixed(3),
    "BilinearSampler": _fixed(2),
    "GridGenerator": _fixed(2),
    "SpatialTransformer": _fixed(3),
    "Correlation": _fixed(3),
    "ROIPooling": _fixed(2),
    "_contrib_DeformablePSROIPooling": _fixed(2),
    "CTCLoss": _fixed(2),
    "_contrib_BatchNormWithReLU": _fixed(4),
    "_linalg_det": _fixed(3),
    "_linalg_slogdet": _fixed(4),
}


def mxnet_outputs(node):
    """The number of outputs MXNet's graph has for ``node``."""
    if node.op is None:
        return 1
    count = _COUNTS.get(node.op.name)
    return node.num_outputs() if count is None else count(node.params())


# Ops MXNet names by index (output0, output1...), hidden outputs included, so a
# single visible output is ``output0``; the others name theirs.
_NAMED_BY_INDEX = ("sort", "topk", "CTCLoss", "_linalg_det")


def mxnet_output_names(node, names):
    """``names``, the op's output names, as MXNet gives them to ``node``."""
    if node.op.name in _NAMED_BY_INDEX and mxnet_outputs(node) > 1:
        return [f"output{i}" for i in range(len(names))]
    return names
