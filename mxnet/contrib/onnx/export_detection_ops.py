"""ONNX export rules of the detection ops: box_decode (SSD/YOLO heads),
ROIAlign and ROIPooling (Faster/Mask R-CNN)."""
import numpy as np

from .export_rules import exports


def _pair(ctx, node, x, first):
    """Elements ``first`` and ``first + 1`` of the last axis of ``x``."""
    return ctx.emit("Slice", [x, ctx.ints(f"{node.name}_start", [first]),
                              ctx.ints(f"{node.name}_end", [first + 2]),
                              ctx.ints(f"{node.name}_axis", [-1])])


@exports("_contrib_box_decode")
def box_decode(ctx, node):
    # centre = delta_xy * std * anchor_wh + anchor_xy; half size =
    # exp(delta_wh * std) * anchor_wh / 2; corners = centre -/+ half size.
    a = node.attrs
    dtype = node.in_dtypes[0]
    data, anchors = node.inputs
    a_first, a_second = _pair(ctx, node, anchors, 0), _pair(ctx, node, anchors, 2)
    half = ctx.const(f"{node.name}_half", np.array(0.5, dtype))
    if a.format == "center":
        a_xy, a_wh = a_first, a_second
    else:
        a_wh = ctx.emit("Sub", [a_second, a_first])
        a_xy = ctx.emit("Add", [a_first, ctx.emit("Mul", [a_wh, half])])
    std_xy = ctx.const(f"{node.name}_std_xy", np.array([a.std0, a.std1], dtype))
    std_wh = ctx.const(f"{node.name}_std_wh", np.array([a.std2, a.std3], dtype))
    d_xy = ctx.emit("Mul", [_pair(ctx, node, data, 0), std_xy])
    d_wh = ctx.emit("Mul", [_pair(ctx, node, data, 2), std_wh])
    if a.clip > 0:
        d_wh = ctx.emit("Min", [d_wh, ctx.const(f"{node.name}_clip", np.array(a.clip, dtype))])
    centre = ctx.emit("Add", [ctx.emit("Mul", [d_xy, a_wh]), a_xy])
    size = ctx.emit("Mul", [ctx.emit("Exp", [d_wh]), a_wh])
    halves = ctx.emit("Div", [size, ctx.const(f"{node.name}_two", np.array(2, dtype))])
    ctx.emit("Concat", [ctx.emit("Sub", [centre, halves]), ctx.emit("Add", [centre, halves])],
             node.output, axis=-1)


def _rois_split(ctx, node):
    """(boxes (R, 4), int64 batch indices (R,)) of MXNet's (R, 5) rois."""
    rois = node.inputs[1]
    index = ctx.emit("Slice", [rois, ctx.ints(f"{node.name}_i0", [0]),
                               ctx.ints(f"{node.name}_i1", [1]), ctx.ints(f"{node.name}_ia", [1])])
    index = ctx.emit("Cast", [ctx.emit("Squeeze", [index, ctx.ints(f"{node.name}_sq", [1])])],
                     to=ctx.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)))
    boxes = ctx.emit("Slice", [rois, ctx.ints(f"{node.name}_b0", [1]),
                               ctx.ints(f"{node.name}_b1", [5]), ctx.ints(f"{node.name}_ba", [1])])
    return boxes, index


@exports("_contrib_ROIAlign")
def roi_align(ctx, node):
    a = node.attrs
    if a.position_sensitive or a.aligned:
        raise node.unsupported("position_sensitive or aligned=True")
    # Opset 13's RoiAlign samples like MXNet's unaligned one: no half-pixel
    # shift, rois at least one pixel, an adaptive grid for sample_ratio <= 0.
    boxes, index = _rois_split(ctx, node)
    height, width = a.pooled_size
    ctx.emit("RoiAlign", [node.inputs[0], boxes, index], node.output, mode="avg",
             output_height=height, output_width=width, spatial_scale=float(a.spatial_scale),
             sampling_ratio=max(a.sample_ratio, 0))


@exports("ROIPooling")
def roi_pooling(ctx, node):
    a = node.attrs
    ctx.emit("MaxRoiPool", node.inputs, node.output, pooled_shape=list(a.pooled_size),
             spatial_scale=float(a.spatial_scale))
