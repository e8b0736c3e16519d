"""ONNX export rules of the random generators: normal and uniform draws (of a
given shape or shaped like an input) and multinomial sampling.

ONNX runtimes draw from their own generators, so an exported model gives
samples of the same distribution, shape and dtype, never the same numbers.
"""
import numpy as np

from .export_logic_ops import onnx_type
from .export_rules import exports


def _dtype(ctx, node):
    return onnx_type(ctx, node.out_dtypes[0])


@exports("_random_normal")
def random_normal(ctx, node):
    a = node.attrs
    ctx.emit("RandomNormal", [], node.output, shape=list(node.out_shapes[0]),
             mean=float(a.loc), scale=float(a.scale), dtype=_dtype(ctx, node))


@exports("_random_uniform")
def random_uniform(ctx, node):
    a = node.attrs
    ctx.emit("RandomUniform", [], node.output, shape=list(node.out_shapes[0]),
             low=float(a.low), high=float(a.high), dtype=_dtype(ctx, node))


@exports("_random_normal_like")
def random_normal_like(ctx, node):
    a = node.attrs
    ctx.emit("RandomNormalLike", node.inputs, node.output, mean=float(a.loc),
             scale=float(a.scale), dtype=_dtype(ctx, node))


@exports("_random_uniform_like")
def random_uniform_like(ctx, node):
    a = node.attrs
    ctx.emit("RandomUniformLike", node.inputs, node.output, low=float(a.low),
             high=float(a.high), dtype=_dtype(ctx, node))


@exports("_sample_multinomial")
def sample_multinomial(ctx, node):
    a = node.attrs
    if a.get_prob:
        raise node.unsupported("get_prob=True")
    # ONNX Multinomial reads (batch, classes) log-probabilities and draws
    # sample_size indices per row; MXNet's probabilities may be one row.
    probs = node.inputs[0]
    in_shape = node.in_shapes[0]
    if len(in_shape) == 1:
        probs = ctx.emit("Unsqueeze", [probs, ctx.ints(f"{node.name}_axes", [0])])
    elif len(in_shape) > 2:
        probs = ctx.emit("Reshape", [probs, ctx.ints(f"{node.name}_rows", [-1, in_shape[-1]])])
    count = int(np.prod(a.shape)) if a.shape else 1
    draws = ctx.emit("Multinomial", [ctx.emit("Log", [probs])], sample_size=count,
                     dtype=_dtype(ctx, node))
    ctx.emit("Reshape", [draws, ctx.ints(f"{node.name}_shape", node.out_shapes[0])],
             node.output)
