"""Operator declarations, one family per file, all added to ``registry`` on import."""
import importlib

from . import registry

# Importing a family file registers its operators. sparse_ops comes last: it
# derives the _sparse_* aliases from the operators declared before it.
FAMILIES = (
    "binary", "elemwise_misc", "getitem", "indexing", "init", "linalg", "random", "reduce",
    "shape", "slicing", "sort", "unary",
    "nn_activation", "nn_conv", "nn_dense", "nn_detection", "nn_loss", "nn_norm", "nn_pool",
    "nn_rnn", "nn_spatial",
    "optimizer_ops", "optimizer_multi", "image_cv", "image_ops",
    "control_flow", "control_flow_loops", "misc_ops", "misc_attention", "python_ops",
    "quantization", "quantized_nn", "quantized_rnn",
    "nn_deformable", "spectral", "dgl", "hawkes", "nn_fused",
    "np_elemwise", "np_reduce", "np_init", "np_shape", "np_dot", "np_linalg", "np_random",
    "np_sort", "np_index", "npx",
    "sparse_ops",
)

for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

__all__ = ["registry", "FAMILIES"]
