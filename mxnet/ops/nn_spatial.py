"""Spatial layers: GridGenerator, BilinearSampler, SpatialTransformer, Crop and
Correlation. The region-of-interest layers live in ``nn_spatial_roi``.

Sampling grids hold normalised coordinates: -1 is the centre of the first
pixel and +1 the centre of the last, x (width) in channel 0 and y (height)
in channel 1. Bilinear sampling reads zero outside the image, corner by
corner. Backward passes are fused ``_backward_*`` kernels called from the
gradient rules.
"""
from ..base import MXNetError
from .params import Param
from .registry import Attrs, register

_FLOATS = ("float16", "float32", "float64")


def _float_types(op, names):
    """``infer_type`` for ops whose inputs and output share one float dtype."""
    def infer(attrs, types):
        known = next((t for t in types if t is not None), None)
        for name, t in zip(names, types):
            if t is not None and (t != known or t not in _FLOATS):
                raise MXNetError(f"{op}: input '{name}' must have the float dtype of "
                                 f"'{names[0]}' ({known}), got {t}")
        return [known] * len(types), [known]
    return infer


def _need_ndim(op, name, shape, ndim, what):
    if len(shape) != ndim:
        raise MXNetError(f"{op}: input '{name}' must be {ndim}-d ({what}), got shape "
                         f"{tuple(shape)}")


# ---------------------------------------------------------------------------
# GridGenerator

def _grid_shape(attrs, shape):
    op = "GridGenerator"
    if attrs.transform_type == "affine":
        if len(shape) != 2 or shape[1] != 6:
            raise MXNetError(f"{op}: affine input must have shape (batch, 6), got {tuple(shape)}")
        h, w = (tuple(attrs.target_shape) + (0, 0))[:2]
        if h <= 0 or w <= 0:
            raise MXNetError(f"{op}: argument 'target_shape' must hold a positive (height, "
                             f"width) for affine transforms, got {attrs.target_shape}")
        return (shape[0], 2, h, w)
    if len(shape) != 4 or shape[1] != 2:
        raise MXNetError(f"{op}: warp input must have shape (batch, 2, height, width), got "
                         f"{tuple(shape)}")
    return tuple(shape)


def _base_grid(xp, h, w, dtype):
    """(3, h*w) rows x, y, 1 of the normalised target pixel centres."""
    ys, xs = xp.meshgrid(xp.linspace(-1, 1, h), xp.linspace(-1, 1, w), indexing="ij")
    return xp.stack([xs.ravel(), ys.ravel(), xp.ones(h * w)]).astype(dtype)


_GRID_PARAMS = {"transform_type": Param("str", choices=("affine", "warp")),
                "target_shape": Param("shape", (0, 0), doc="(height, width) of the grid.")}


@register("GridGenerator", params=_GRID_PARAMS,
          infer_shape=lambda attrs, s: (s, [None if s[0] is None else _grid_shape(attrs, s[0])]),
          infer_type=_float_types("GridGenerator", ("data",)),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_GridGenerator(
              g[0], ins[0], **attrs)])
def _grid_generator(xp, attrs, data):
    """Sampling grid for BilinearSampler: `affine` maps the normalised target
    pixel grid by a (batch, 6) matrix [[a, b, tx], [c, d, ty]]; `warp` adds a
    (batch, 2, H, W) pixel flow to each pixel's position and normalises."""
    shape = _grid_shape(attrs, data.shape)
    n, _, h, w = shape
    if attrs.transform_type == "affine":
        base = _base_grid(xp, h, w, data.dtype)
        return (data.reshape(n, 2, 3) @ base).reshape(shape)
    ys, xs = xp.meshgrid(xp.arange(h), xp.arange(w), indexing="ij")
    scale = xp.array([(w - 1) / 2, (h - 1) / 2]).reshape(1, 2, 1, 1)
    return ((data + xp.stack([xs, ys])[None]) / scale - 1).astype(data.dtype)


@register("_backward_GridGenerator", inputs=("out_grad", "data"), params=_GRID_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[0]]))
def _grid_generator_backward(xp, attrs, grad, data):
    """Gradient of GridGenerator w.r.t. its input (it is linear in it)."""
    n, _, h, w = grad.shape
    if attrs.transform_type == "affine":
        base = _base_grid(xp, h, w, grad.dtype)
        return (grad.reshape(n, 2, h * w) @ base.T).reshape(n, 6)
    scale = xp.array([(w - 1) / 2, (h - 1) / 2]).reshape(1, 2, 1, 1)
    return (grad / scale).astype(grad.dtype)


# ---------------------------------------------------------------------------
# BilinearSampler

def _sampler_shape(op, data, grid):
    _need_ndim(op, "data", data, 4, "batch, channel, height, width")
    _need_ndim(op, "grid", grid, 4, "batch, 2, height, width")
    if grid[1] != 2 or grid[0] != data[0]:
        raise MXNetError(f"{op}: input 'grid' must have shape ({data[0]}, 2, height, width) "
                         f"for data of shape {tuple(data)}, got {tuple(grid)}")
    return (data[0], data[1], grid[2], grid[3])


def _corners(xp, grid, h, w):
    """The four bilinear corners of every grid point: list of (flat index,
    in-image mask, weight, d weight/dx, d weight/dy) with x, y in pixels."""
    x = (grid[:, 0] + 1) * (w - 1) / 2
    y = (grid[:, 1] + 1) * (h - 1) / 2
    x0, y0 = xp.floor(x), xp.floor(y)
    fx, fy = x - x0, y - y0
    out = []
    for dy, wy, dwy in ((0, 1 - fy, -1), (1, fy, 1)):
        for dx, wx, dwx in ((0, 1 - fx, -1), (1, fx, 1)):
            xi, yi = (x0 + dx).astype("int64"), (y0 + dy).astype("int64")
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            index = xp.where(inside, yi * w + xi, 0)
            out.append((index, inside, wy * wx, wy * dwx, wx * dwy))
    return out


def _gather(xp, flat, index):
    """flat (N, C, H*W), index (N, Ho, Wo) -> values (N, C, Ho, Wo)."""
    n, c, _ = flat.shape
    picked = xp.take_along_axis(flat, index.reshape(n, 1, -1), axis=2)
    return picked.reshape((n, c) + index.shape[1:])


@register("BilinearSampler", inputs=("data", "grid"),
          params={"cudnn_off": Param("bool", None, doc="Unused: no cuDNN here.")},
          infer_shape=lambda attrs, s: (s, [None if None in s else _sampler_shape(
              "BilinearSampler", *s)]),
          infer_type=_float_types("BilinearSampler", ("data", "grid")),
          gradient=lambda F, attrs, ins, outs, g: list(F._internal._backward_BilinearSampler(
              g[0], ins[0], ins[1])))
def _bilinear_sampler(xp, attrs, data, grid):
    """Sample `data` (N, C, H, W) bilinearly at the normalised positions of
    `grid` (N, 2, Ho, Wo); positions outside the image read zero."""
    _sampler_shape("BilinearSampler", data.shape, grid.shape)
    n, c, h, w = data.shape
    flat = data.reshape(n, c, h * w)
    out = xp.zeros((n, c) + grid.shape[2:], dtype=data.dtype)
    for index, inside, weight, _, _ in _corners(xp, grid, h, w):
        out += _gather(xp, flat, index) * (weight * inside)[:, None]
    return out


@register("_backward_BilinearSampler", inputs=("out_grad", "data", "grid"), num_outputs=2,
          infer_shape=lambda attrs, s: (s, [s[1], s[2]]),
          infer_type=lambda attrs, t: (t, [t[1], t[2]]))
def _bilinear_sampler_backward(xp, attrs, grad, data, grid):
    """Gradients of BilinearSampler w.r.t. data and grid."""
    n, c, h, w = data.shape
    flat = data.reshape(n, c, h * w)
    ddata = xp.zeros((n, h * w, c), dtype=data.dtype)
    dx = xp.zeros((n,) + grid.shape[2:], dtype=data.dtype)
    dy = xp.zeros_like(dx)
    rows = (xp.arange(n)[:, None] * (h * w)).astype("int64")
    g_rows = grad.reshape(n, c, -1).transpose(0, 2, 1)
    for index, inside, weight, dwx, dwy in _corners(xp, grid, h, w):
        contrib = g_rows * (weight * inside).reshape(n, -1, 1)
        xp.add.at(ddata.reshape(n * h * w, c), (rows + index.reshape(n, -1)).ravel(),
                  contrib.reshape(-1, c))
        dot = (grad * _gather(xp, flat, index)).sum(axis=1) * inside
        dx += dot * dwx
        dy += dot * dwy
    dgrid = xp.stack([dx * ((w - 1) / 2), dy * ((h - 1) / 2)], axis=1)
    return ddata.transpose(0, 2, 1).reshape(data.shape).copy(), dgrid.astype(grid.dtype)


# ---------------------------------------------------------------------------
# SpatialTransformer

def _transformer_shape(attrs, data, loc):
    op = "SpatialTransformer"
    _need_ndim(op, "data", data, 4, "batch, channel, height, width")
    if tuple(loc) != (data[0], 6):
        raise MXNetError(f"{op}: input 'loc' must have shape ({data[0]}, 6), got {tuple(loc)}")
    h, w = (tuple(attrs.target_shape) + (0, 0))[:2]
    if h <= 0 or w <= 0:
        raise MXNetError(f"{op}: argument 'target_shape' must hold a positive (height, "
                         f"width), got {attrs.target_shape}")
    return (data[0], data[1], h, w)


def _transformer_gradient(F, attrs, ins, outs, g):
    grid = F.GridGenerator(ins[1], transform_type="affine", target_shape=attrs.target_shape)
    ddata, dgrid = F._internal._backward_BilinearSampler(g[0], ins[0], grid)
    dloc = F._internal._backward_GridGenerator(dgrid, ins[1], transform_type="affine",
                                               target_shape=attrs.target_shape)
    return [ddata, dloc]


@register("SpatialTransformer", inputs=("data", "loc"),
          params={"target_shape": Param("shape", (0, 0), doc="(height, width) of the output."),
                  "transform_type": Param("str", choices=("affine",)),
                  "sampler_type": Param("str", choices=("bilinear",)),
                  "cudnn_off": Param("bool", None, doc="Unused: no cuDNN here.")},
          infer_shape=lambda attrs, s: (s, [None if None in s else _transformer_shape(
              attrs, *s)]),
          infer_type=_float_types("SpatialTransformer", ("data", "loc")),
          gradient=_transformer_gradient)
def _spatial_transformer(xp, attrs, data, loc):
    """Warp `data` by the affine transforms `loc` (N, 6) onto a `target_shape`
    grid: GridGenerator(affine) followed by BilinearSampler."""
    shape = _transformer_shape(attrs, data.shape, loc.shape)
    grid_attrs = {"transform_type": "affine", "target_shape": shape[2:]}
    grid = _grid_generator.compute(xp, Attrs(grid_attrs), loc)
    return _bilinear_sampler.compute(xp, None, data, grid)


# ---------------------------------------------------------------------------
# Crop

def _crop_window(attrs, shapes):
    """(top, left, height, width) of the crop for input shapes."""
    op = "Crop"
    if len(shapes) != attrs.num_args or attrs.num_args not in (1, 2):
        raise MXNetError(f"{op}: num_args must be 1 (crop to h_w) or 2 (crop like the second "
                         f"input) and match the inputs, got num_args={attrs.num_args} with "
                         f"{len(shapes)} inputs")
    data = tuple(shapes[0])
    _need_ndim(op, "data", data, 4, "batch, channel, height, width")
    if attrs.num_args == 2:
        _need_ndim(op, "crop_like", shapes[1], 4, "batch, channel, height, width")
        h, w = shapes[1][2], shapes[1][3]
    else:
        if len(attrs.h_w) < 2:
            raise MXNetError(f"{op}: argument 'h_w' must be (height, width), got {attrs.h_w}")
        h, w = attrs.h_w[0], attrs.h_w[1]
    if not (1 <= h <= data[2] and 1 <= w <= data[3]):
        raise MXNetError(f"{op}: the crop size ({h}, {w}) must be at least 1 and fit in the "
                         f"input of shape {data}")
    if attrs.center_crop:
        return (data[2] - h) // 2, (data[3] - w) // 2, h, w
    if len(attrs.offset) < 2:
        raise MXNetError(f"{op}: argument 'offset' must be (y, x), got {attrs.offset}")
    top, left = attrs.offset[0], attrs.offset[1]
    if not (0 <= top <= data[2] - h and 0 <= left <= data[3] - w):
        raise MXNetError(f"{op}: argument 'offset' {attrs.offset} leaves no room for a "
                         f"({h}, {w}) crop of the input of shape {data}")
    return top, left, h, w


def _crop_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    _, _, h, w = _crop_window(attrs, shapes)
    return shapes, [tuple(shapes[0][:2]) + (h, w)]


def _crop_gradient(F, attrs, ins, outs, g):
    top, left, h, w = _crop_window(attrs, [x.shape for x in ins])
    height, width = ins[0].shape[2:]
    pad = (0, 0, 0, 0, top, height - h - top, left, width - w - left)
    grads = [F.Pad(g[0], mode="constant", pad_width=pad)]
    return grads + [F.zeros_like(x) for x in ins[1:]]


@register("Crop", inputs=("data",), variadic="num_args",
          params={"num_args": Param("int", doc="1, or 2 to crop like the second input."),
                  "offset": Param("shape", (0, 0), doc="(y, x) of the crop's top-left corner."),
                  "h_w": Param("shape", (0, 0), doc="(height, width) of the crop."),
                  "center_crop": Param("bool", False, doc="Centre the crop (ignores offset).")},
          infer_shape=_crop_shape,
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_crop_gradient)
def _crop(xp, attrs, *data):
    """Crop the last two axes of a 4-d `data` to `h_w` (or to the height and
    width of a second input), at `offset` or centred."""
    top, left, h, w = _crop_window(attrs, [x.shape for x in data])
    if data[0].dtype.name not in _FLOATS:
        raise MXNetError(f"Crop: input 'data' must be a float array, got {data[0].dtype}")
    return data[0][:, :, top:top + h, left:left + w].copy()


# ---------------------------------------------------------------------------
# Correlation

_CORR_PARAMS = {
    "kernel_size": Param("int", 1, doc="Side of the patch compared (odd)."),
    "max_displacement": Param("int", 1, doc="Largest displacement searched."),
    "stride1": Param("int", 1, doc="Stride over positions of the first image."),
    "stride2": Param("int", 1, doc="Stride over displacements."),
    "pad_size": Param("int", 0, doc="Zero padding of both images."),
    "is_multiply": Param("bool", True, doc="Multiply patches (else absolute difference)."),
}


def _corr_geometry(attrs, shape1, shape2):
    """(radius in displacement steps, output height, width) or an error."""
    op = "Correlation"
    _need_ndim(op, "data1", shape1, 4, "batch, channel, height, width")
    if tuple(shape2) != tuple(shape1):
        raise MXNetError(f"{op}: inputs 'data1' and 'data2' must have the same shape, got "
                         f"{tuple(shape1)} and {tuple(shape2)}")
    k, d = attrs.kernel_size, attrs.max_displacement
    if k < 1 or k % 2 == 0 or attrs.stride1 < 1 or attrs.stride2 < 1:
        raise MXNetError(f"{op}: kernel_size must be odd and the strides positive, got "
                         f"kernel_size={k}, stride1={attrs.stride1}, stride2={attrs.stride2}")
    border = d + (k - 1) // 2
    hp, wp = shape1[2] + 2 * attrs.pad_size, shape1[3] + 2 * attrs.pad_size
    oh = -(-(hp - 2 * border) // attrs.stride1)
    ow = -(-(wp - 2 * border) // attrs.stride1)
    if oh < 1 or ow < 1:
        raise MXNetError(f"{op}: the padded input ({hp}, {wp}) is too small for "
                         f"max_displacement={d} and kernel_size={k}")
    return d // attrs.stride2, oh, ow


def _corr_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    r, oh, ow = _corr_geometry(attrs, *shapes)
    return shapes, [(shapes[0][0], (2 * r + 1) ** 2, oh, ow)]


def _corr_regions(xp, attrs, a, b):
    """Padded inputs and, per displacement channel, the slices of each
    compared to produce every output position."""
    r, oh, ow = _corr_geometry(attrs, a.shape, b.shape)
    p, d, k, s1, s2 = (attrs.pad_size, attrs.max_displacement, attrs.kernel_size,
                       attrs.stride1, attrs.stride2)
    pads = ((0, 0), (0, 0), (p, p), (p, p))
    ap, bp = xp.pad(a, pads), xp.pad(b, pads)
    hn, wn = (oh - 1) * s1 + k, (ow - 1) * s1 + k
    first = (slice(None), slice(None), slice(d, d + hn), slice(d, d + wn))
    shifts = []
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            y, x = d + dy * s2, d + dx * s2
            shifts.append((slice(None), slice(None), slice(y, y + hn), slice(x, x + wn)))
    return ap, bp, first, shifts, (oh, ow)


def _window_sum(xp, m, k, s, out_hw):
    """Sum of every k x k window of m (N, Hn, Wn) with stride s."""
    oh, ow = out_hw
    out = xp.zeros((m.shape[0], oh, ow), dtype=m.dtype)
    for i in range(k):
        for j in range(k):
            out += m[:, i:i + (oh - 1) * s + 1:s, j:j + (ow - 1) * s + 1:s]
    return out


@register("Correlation", inputs=("data1", "data2"), params=_CORR_PARAMS,
          infer_shape=_corr_shape, infer_type=_float_types("Correlation", ("data1", "data2")),
          gradient=lambda F, attrs, ins, outs, g: list(F._internal._backward_Correlation(
              g[0], ins[0], ins[1], **attrs)))
def _correlation(xp, attrs, data1, data2):
    """FlowNet correlation: for each displacement within `max_displacement`
    (in steps of stride2), the mean over channels and a kernel_size patch of
    data1 times (or minus, in absolute value) data2 displaced; one output
    channel per displacement, rows of dy then dx."""
    ap, bp, first, shifts, out_hw = _corr_regions(xp, attrs, data1, data2)
    k, c = attrs.kernel_size, data1.shape[1]
    a = ap[first]
    out = xp.empty((data1.shape[0], len(shifts)) + out_hw, dtype=data1.dtype)
    for ch, sl in enumerate(shifts):
        m = (a * bp[sl]).sum(axis=1) if attrs.is_multiply else xp.abs(a - bp[sl]).sum(axis=1)
        out[:, ch] = _window_sum(xp, m, k, attrs.stride1, out_hw)
    return out / data1.dtype.type(k * k * c)


@register("_backward_Correlation", inputs=("out_grad", "data1", "data2"), params=_CORR_PARAMS,
          num_outputs=2, infer_shape=lambda attrs, s: (s, [s[1], s[2]]),
          infer_type=lambda attrs, t: (t, [t[1], t[2]]))
def _correlation_backward(xp, attrs, grad, data1, data2):
    """Gradients of Correlation w.r.t. both inputs."""
    ap, bp, first, shifts, (oh, ow) = _corr_regions(xp, attrs, data1, data2)
    k, s1, c = attrs.kernel_size, attrs.stride1, data1.shape[1]
    a = ap[first]
    dap, dbp = xp.zeros_like(ap), xp.zeros_like(bp)
    hn, wn = a.shape[2:]
    grad = grad / grad.dtype.type(k * k * c)
    for ch, sl in enumerate(shifts):
        spread = xp.zeros((grad.shape[0], hn, wn), dtype=grad.dtype)
        for i in range(k):  # every window position passes its gradient to its patch
            for j in range(k):
                spread[:, i:i + (oh - 1) * s1 + 1:s1, j:j + (ow - 1) * s1 + 1:s1] += grad[:, ch]
        spread = spread[:, None]
        if attrs.is_multiply:
            dap[first] += spread * bp[sl]
            dbp[sl] += spread * a
        else:
            sign = xp.sign(a - bp[sl]) * spread
            dap[first] += sign
            dbp[sl] -= sign
    p = attrs.pad_size
    h, w = data1.shape[2:]
    return dap[:, :, p:p + h, p:p + w].copy(), dbp[:, :, p:p + h, p:p + w].copy()


from . import nn_spatial_roi  # noqa: E402,F401  (the ROI layers register with this family)
