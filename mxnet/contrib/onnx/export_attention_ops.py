"""ONNX export rules of the transformer building blocks: linalg.gemm2,
contrib.div_sqrt_dim and the interleaved multi-head attention products
(``_contrib_interleaved_matmul_*``, what GluonNLP's BERT uses).

The interleaved ops keep the projections packed as (length, batch,
heads * packed * head_dim), packed being 3 (q, k, v) for self-attention and
2 (k, v) for encoder-decoder keys; ONNX gets the same reshapes and
transposes spelled out around MatMul.
"""
import math

import numpy as np

from .export_tensor_ops import swap_last
from .export_rules import exports


@exports("_linalg_gemm2")
def gemm2(ctx, node):
    a = node.attrs
    ndim = len(node.in_shapes[0])
    if a.axis % ndim != ndim - 2:
        raise node.unsupported(f"axis={a.axis} (only the second-to-last axis)")
    lhs, rhs = node.inputs
    if a.transpose_a:
        lhs = ctx.emit("Transpose", [lhs], perm=swap_last(ndim))
    if a.transpose_b:
        rhs = ctx.emit("Transpose", [rhs], perm=swap_last(ndim))
    if a.alpha == 1.0:
        ctx.emit("MatMul", [lhs, rhs], node.output)
        return
    alpha = ctx.const(f"{node.name}_alpha", np.array(a.alpha, node.in_dtypes[0]))
    ctx.emit("Mul", [ctx.emit("MatMul", [lhs, rhs]), alpha], node.output)


@exports("_contrib_div_sqrt_dim")
def div_sqrt_dim(ctx, node):
    root = ctx.const(f"{node.name}_sqrt_dim",
                     np.array(math.sqrt(node.in_shapes[0][-1]), node.in_dtypes[0]))
    ctx.emit("Div", [node.inputs[0], root], node.output)


def _heads_first(ctx, node, x, shape, heads, packed, slot):
    """Part ``slot`` of the packed ``x`` (L, B, H*packed*D) as (B*H, L, D).

    Only Reshape's 0 (copy) and -1 (infer) codes appear, so the length and
    batch stay run-time sizes and ONNX shape inference keeps every rank: B
    and H are merged while they are the last two axes.
    """
    dim = shape[2] // (heads * packed)
    split = ctx.emit("Reshape", [x, ctx.ints(f"{node.name}_unpack", [0, 0, heads, packed, dim])])
    part = ctx.emit("Gather", [split, ctx.const(f"{node.name}_slot", np.array(slot, np.int64))],
                    axis=3)                                       # (L, B, H, D)
    part = ctx.emit("Transpose", [part], perm=[0, 3, 1, 2])       # (L, D, B, H)
    part = ctx.emit("Reshape", [part, ctx.ints(f"{node.name}_merge", [0, 0, -1])])
    return ctx.emit("Transpose", [part], perm=[2, 0, 1]), dim     # (B*H, L, D)


def _heads_last(ctx, node, y, heads):
    """(B*H, L, D) back to MXNet's (L, B, H*D), splitting B*H as the last axis."""
    moved = ctx.emit("Transpose", [y], perm=[1, 2, 0])            # (L, D, B*H)
    split = ctx.emit("Reshape", [moved, ctx.ints(f"{node.name}_split", [0, 0, -1, heads])])
    back = ctx.emit("Transpose", [split], perm=[0, 2, 3, 1])      # (L, B, H, D)
    ctx.emit("Reshape", [back, ctx.ints(f"{node.name}_shape", [0, 0, -1])], node.output)


def _scaled_scores(ctx, node, q, k, dim):
    scale = ctx.const(f"{node.name}_scale", np.array(1.0 / math.sqrt(dim), node.in_dtypes[0]))
    k_t = ctx.emit("Transpose", [k], perm=[0, 2, 1])
    ctx.emit("Mul", [ctx.emit("MatMul", [q, k_t]), scale], node.output)


@exports("_contrib_interleaved_matmul_selfatt_qk")
def selfatt_qk(ctx, node):
    heads, shape, qkv = node.attrs.heads, node.in_shapes[0], node.inputs[0]
    q, dim = _heads_first(ctx, node, qkv, shape, heads, 3, 0)
    k, _ = _heads_first(ctx, node, qkv, shape, heads, 3, 1)
    _scaled_scores(ctx, node, q, k, dim)


@exports("_contrib_interleaved_matmul_selfatt_valatt")
def selfatt_valatt(ctx, node):
    heads, shape = node.attrs.heads, node.in_shapes[0]
    v, _ = _heads_first(ctx, node, node.inputs[0], shape, heads, 3, 2)
    _heads_last(ctx, node, ctx.emit("MatMul", [node.inputs[1], v]), heads)


@exports("_contrib_interleaved_matmul_encdec_qk")
def encdec_qk(ctx, node):
    heads = node.attrs.heads
    q, dim = _heads_first(ctx, node, node.inputs[0], node.in_shapes[0], heads, 1, 0)
    k, _ = _heads_first(ctx, node, node.inputs[1], node.in_shapes[1], heads, 2, 0)
    _scaled_scores(ctx, node, q, k, dim)


@exports("_contrib_interleaved_matmul_encdec_valatt")
def encdec_valatt(ctx, node):
    heads, shape = node.attrs.heads, node.in_shapes[0]
    v, _ = _heads_first(ctx, node, node.inputs[0], shape, heads, 2, 1)
    _heads_last(ctx, node, ctx.emit("MatMul", [node.inputs[1], v]), heads)
