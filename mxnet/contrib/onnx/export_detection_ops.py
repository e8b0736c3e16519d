"""ONNX export rules of the detection ops: box_decode and box_nms (SSD/YOLO
heads), ROIAlign and ROIPooling (Faster/Mask R-CNN)."""
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


class _Nms:
    """Emits MXNet's box_nms over (batch, boxes, fields) rows ``x``."""

    def __init__(self, ctx, node):
        self.ctx, self.node, self.a = ctx, node, node.attrs
        self.dtype = node.in_dtypes[0]

    def ints(self, hint, values):
        return self.ctx.ints(f"{self.node.name}_{hint}", values)

    def scalar(self, hint, value, dtype=None):
        return self.ctx.const(f"{self.node.name}_{hint}",
                              np.array(value, self.dtype if dtype is None else dtype))

    def field(self, x, index):
        """Field ``index`` of every row: (batch, boxes)."""
        return self.ctx.emit("Gather", [x, self.scalar("field", index, np.int64)], axis=2)

    def rows_at(self, x, order, width):
        """``x`` (batch, boxes, width) with its rows taken in ``order`` (batch, boxes)."""
        ctx = self.ctx
        index = ctx.emit("Unsqueeze", [order, self.ints("axes", [2])])
        index = ctx.emit("Expand", [index, ctx.emit("Concat", [
            ctx.emit("Shape", [order]), self.ints("width", [width])], axis=0)])
        return ctx.emit("GatherElements", [x, index], axis=1)

    def descending(self, key):
        """Indices ordering ``key`` (batch, boxes) largest first, ties by position."""
        ctx = self.ctx
        count = ctx.emit("Slice", [ctx.emit("Shape", [key]), self.ints("one", [1]),
                                   self.ints("two", [2])])
        indices = ctx.reserve(f"{self.node.name}_order")
        ctx.emit_multi("TopK", [key, count], [ctx.reserve(f"{self.node.name}_sorted"), indices],
                       axis=1, largest=1, sorted=1)
        return indices

    def candidates(self, x, n):
        """(sorted rows, float rank scores): valid rows first by score, the
        topk best of them scored n - rank, every other row -1."""
        ctx, a = self.ctx, self.a
        score = self.field(x, a.score_index)
        valid = ctx.emit("Greater", [score, self.scalar("valid", a.valid_thresh)])
        if a.id_index >= 0:
            background = ctx.emit("Equal", [self.field(x, a.id_index),
                                            self.scalar("background", a.background_id)])
            valid = ctx.emit("And", [valid, ctx.emit("Not", [background])])
        low = self.scalar("minus_inf", -np.inf)
        order = self.descending(ctx.emit("Where", [valid, score, low]))
        rows = self.rows_at(x, order, self.node.in_shapes[0][-1])
        chosen = ctx.emit("GatherElements", [valid, order], axis=1)
        rank_score = self.scalar("rank_score", np.arange(n, 0, -1), np.float32)
        if a.topk > 0:
            chosen = ctx.emit("And", [chosen, self.scalar(
                "in_topk", np.arange(n) < a.topk, np.bool_)])
        return rows, ctx.emit("Where", [chosen, rank_score, self.scalar("none", -1.0,
                                                                        np.float32)])

    def boxes(self, rows):
        """The rows' boxes, shifted apart per class when classes must not
        suppress each other (so boxes of two classes never overlap)."""
        ctx, a = self.ctx, self.a
        cs = a.coord_start
        boxes = ctx.emit("Slice", [rows, self.ints("c0", [cs]), self.ints("c1", [cs + 4]),
                                   self.ints("c2", [2])])
        if a.id_index < 0 or a.force_suppress:
            return boxes
        spread = ctx.emit("Add", [ctx.emit("ReduceMax", [ctx.emit("Abs", [boxes])], keepdims=0),
                                  self.scalar("one_unit", 1.0)])
        span = ctx.emit("Mul", [spread, self.scalar("three", 3.0)])
        shift = ctx.emit("Mul", [ctx.emit("Unsqueeze", [self.field(rows, a.id_index),
                                                        self.ints("axes2", [2])]), span])
        return ctx.emit("Add", [boxes, shift])

    def keep_mask(self, boxes, scores, n):
        """1.0 where ONNX NonMaxSuppression keeps the (sorted) row, else 0.0."""
        ctx, a = self.ctx, self.a
        selected = ctx.emit("NonMaxSuppression", [
            ctx.emit("Cast", [boxes], to=ctx.onnx.helper.np_dtype_to_tensor_dtype(
                np.dtype(np.float32))),
            ctx.emit("Unsqueeze", [scores, self.ints("axes1", [1])]),
            self.ints("max_out", [n]), self.scalar("iou", a.overlap_thresh, np.float32),
            self.scalar("score_floor", 0.0, np.float32)],
            center_point_box=int(a.in_format == "center"))
        where = ctx.emit("Gather", [selected, self.ints("batch_box", [0, 2])], axis=1)
        zeros = ctx.emit("ConstantOfShape", [ctx.emit("Shape", [scores])])
        ones = ctx.emit("ConstantOfShape", [ctx.emit("Slice", [
            ctx.emit("Shape", [selected]), self.ints("z0", [0]), self.ints("z1", [1])])],
            value=ctx.onnx.numpy_helper.from_array(np.array([1.0], np.float32)))
        return ctx.emit("ScatterND", [zeros, where, ones])


@exports("_contrib_box_nms")
def box_nms(ctx, node):
    a = node.attrs
    if a.in_format != a.out_format:
        raise node.unsupported("in_format different from out_format")
    shape = node.in_shapes[0]
    n, width = shape[-2], shape[-1]
    nms = _Nms(ctx, node)
    x = ctx.emit("Reshape", [node.inputs[0], nms.ints("rows", [-1, n, width])])
    rows, scores = nms.candidates(x, n)
    keep = nms.keep_mask(nms.boxes(rows), scores, n)
    # Survivors move to the front in score order; every other row is -1.
    front = nms.descending(keep)
    kept = ctx.emit("Unsqueeze", [ctx.emit("GatherElements", [keep, front], axis=1),
                                  nms.ints("axes3", [2])])
    out = nms.rows_at(rows, front, width)
    out = ctx.emit("Where", [ctx.emit("Cast", [kept], to=ctx.onnx.helper.np_dtype_to_tensor_dtype(
        np.dtype(np.bool_))), out, nms.scalar("filler", -1)])
    ctx.emit("Reshape", [out, ctx.emit("Shape", [node.inputs[0]])], node.output)
