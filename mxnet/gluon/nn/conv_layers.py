"""Convolution, transposed convolution, pooling and padding layers.

The layers are thin HybridBlocks over the ``Convolution``, ``Deconvolution``,
``Pooling`` and ``pad`` operators. Their constructor arguments, the shapes
of their weights (with 0 for an ``in_channels`` left to be inferred at the
first forward pass), the operator attributes they pass and their reprs are
MXNet 1.9.1's.
"""
from numbers import Number

from ...base import MXNetError
from ..block import HybridBlock
from ..np_boundary import legacy_body
from .activations import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D",
           "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]


def _tuple(value, n):
    """An int repeated ``n`` times; sequences are kept as given (MXNet's
    reprs show a list argument as a list)."""
    return (value,) * n if isinstance(value, Number) else value


def _check_layout(cls_name, layout, allowed):
    if layout not in allowed:
        raise MXNetError(f"{cls_name}: layout must be one of {', '.join(allowed)}, "
                         f"got {layout!r}")


def _check_ndim(cls_name, what, value, n):
    if len(value) != n:
        raise MXNetError(f"{cls_name}: {what} must be a number or a list of {n} ints, "
                         f"got {value}")


def conv_repr(block, in_channels, channels, kw, no_bias):
    """MXNet's repr of a convolution layer with operator arguments ``kw``."""
    n = len(kw["kernel"])
    s = (f"{type(block).__name__}({in_channels if in_channels else None} -> {channels}, "
         f"kernel_size={kw['kernel']}, stride={kw['stride']}")
    if kw["pad"] != (0,) * n:
        s += f", padding={kw['pad']}"
    if kw["dilate"] != (1,) * n:
        s += f", dilation={kw['dilate']}"
    if kw["num_group"] != 1:
        s += f", groups={kw['num_group']}"
    if no_bias:
        s += ", bias=False"
    if block.act is not None:
        s += f", {block.act}"
    return s + ")"


class _Conv(HybridBlock):
    """Shared by every (transposed) convolution layer of ``ndim`` spatial
    axes. Transposed ones (the ``Deconvolution`` operator) are those given an
    ``output_padding``."""

    def __init__(self, ndim, layouts, channels, kernel_size, strides, padding, dilation,
                 groups, layout, activation, use_bias, weight_initializer, bias_initializer,
                 in_channels, output_padding=None, **kwargs):
        name = type(self).__name__
        _check_layout(name, layout, layouts)
        kernel_size = _tuple(kernel_size, ndim)
        _check_ndim(name, "kernel_size", kernel_size, ndim)
        super().__init__(**kwargs)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = "Convolution" if output_padding is None else "Deconvolution"
            self._kwargs = {"kernel": kernel_size, "stride": _tuple(strides, ndim),
                            "dilate": _tuple(dilation, ndim), "pad": _tuple(padding, ndim),
                            "num_filter": channels, "num_group": groups,
                            "no_bias": not use_bias, "layout": layout}
            if output_padding is not None:
                output_padding = _tuple(output_padding, ndim)
                _check_ndim(name, "output_padding", output_padding, ndim)
                self._kwargs["adj"] = output_padding
            self.weight = self.params.get("weight", shape=self._weight_shape(),
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def _weight_shape(self):
        """Convolution: (channels, in_channels/groups, *kernel); transposed:
        (in_channels, channels/groups, *kernel); channels-last layouts move
        the second axis to the end. 0 marks an ``in_channels`` not known yet."""
        groups = self._kwargs["num_group"]
        kernel = tuple(self._kwargs["kernel"])
        if self._op_name == "Convolution":
            outer, inner = self._channels, self._in_channels // groups
        else:
            if groups > 1 and not self._in_channels:
                raise MXNetError(f"{type(self).__name__}: in_channels must be given when "
                                 f"groups ({groups}) > 1")
            outer, inner = self._in_channels, self._channels // groups
        if self._kwargs["layout"].find("C") == 1:
            return (outer, inner) + kernel
        return (outer,) + kernel + (inner,)

    def hybrid_forward(self, F, x, weight, bias=None):
        out = self._convolve(F, x, weight, bias)
        if self.act is not None:
            out = self.act(out)
        return out

    @legacy_body
    def _convolve(self, F, x, weight, bias):
        op = getattr(F, self._op_name)
        if bias is None:
            return op(x, weight, name="fwd", **self._kwargs)
        return op(x, weight, bias, name="fwd", **self._kwargs)

    def _alias(self):
        return "conv"

    def __repr__(self):
        shape = self.weight.shape
        return conv_repr(self, shape[1], shape[0], self._kwargs, self.bias is None)


class Conv1D(_Conv):
    """1-D convolution over sequences (layout NCW): ``channels`` filters of
    width ``kernel_size`` moved by ``strides`` over the input zero-padded by
    ``padding`` on both sides, with ``dilation`` between filter taps and
    ``groups`` of input channels convolved separately; then the bias and
    ``activation`` if given. ``in_channels=0`` is inferred at the first
    forward pass. The weight is (channels, in_channels / groups, width)."""

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout="NCW", activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(1, ("NCW",), channels, kernel_size, strides,
                         padding, dilation, groups, layout, activation, use_bias,
                         weight_initializer, bias_initializer, in_channels, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over images (NCHW, or NHWC with the weight as
    (channels, kh, kw, in_channels / groups)); arguments as for Conv1D, each
    an int or a pair."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, layout="NCHW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(2, ("NCHW", "NHWC"), channels, kernel_size, strides,
                         padding, dilation, groups, layout, activation, use_bias,
                         weight_initializer, bias_initializer, in_channels, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over volumes (NCDHW or NDHWC); arguments as for
    Conv1D, each an int or a triple."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout="NCDHW", activation=None,
                 use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 in_channels=0, **kwargs):
        super().__init__(3, ("NCDHW", "NDHWC"), channels, kernel_size, strides,
                         padding, dilation, groups, layout, activation, use_bias,
                         weight_initializer, bias_initializer, in_channels, **kwargs)


class Conv1DTranspose(_Conv):
    """1-D transposed convolution (the gradient of Conv1D with respect to its
    input), layout NCW: the output width is ``(w - 1) * strides - 2 *
    padding + dilation * (kernel_size - 1) + 1 + output_padding``. The
    weight is (in_channels, channels / groups, width); ``in_channels=0`` is
    inferred at the first forward pass but must be given when ``groups`` > 1."""

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 dilation=1, groups=1, layout="NCW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(1, ("NCW",), channels, kernel_size, strides,
                         padding, dilation, groups, layout, activation, use_bias,
                         weight_initializer, bias_initializer, in_channels, output_padding,
                         **kwargs)


class Conv2DTranspose(_Conv):
    """2-D transposed convolution over images (NCHW or NHWC); arguments as
    for Conv1DTranspose, each an int or a pair."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1, layout="NCHW",
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(2, ("NCHW", "NHWC"), channels, kernel_size, strides,
                         padding, dilation, groups, layout, activation, use_bias,
                         weight_initializer, bias_initializer, in_channels, output_padding,
                         **kwargs)


class Conv3DTranspose(_Conv):
    """3-D transposed convolution over volumes (NCDHW or NDHWC); arguments as
    for Conv1DTranspose, each an int or a triple."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1, layout="NCDHW",
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(3, ("NCDHW", "NDHWC"), channels, kernel_size, strides,
                         padding, dilation, groups, layout, activation, use_bias,
                         weight_initializer, bias_initializer, in_channels, output_padding,
                         **kwargs)


class _Pooling(HybridBlock):
    """Shared by the pooling layers: the ``Pooling`` operator with fixed
    attributes; ``layouts`` are those the layer accepts."""

    def __init__(self, layouts, pool_size, strides, padding, ceil_mode, global_pool, pool_type,
                 layout, count_include_pad=None, **kwargs):
        name = type(self).__name__
        ndim = len(layouts[0]) - 2
        _check_layout(name, layout, layouts)
        pool_size = _tuple(pool_size, ndim)
        _check_ndim(name, "pool_size", pool_size, ndim)
        super().__init__(**kwargs)
        if strides is None:
            strides = pool_size
        self._kwargs = {"kernel": pool_size, "stride": _tuple(strides, ndim),
                        "pad": _tuple(padding, ndim), "global_pool": global_pool,
                        "pool_type": pool_type, "layout": layout,
                        "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self):
        return "pool"

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.Pooling(x, name="fwd", **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return (f"{type(self).__name__}(size={kw['kernel']}, stride={kw['stride']}, "
                f"padding={kw['pad']}, ceil_mode={kw['pooling_convention'] == 'full'}, "
                f"global_pool={kw['global_pool']}, pool_type={kw['pool_type']}, "
                f"layout={kw['layout']})")


class MaxPool1D(_Pooling):
    """1-D max pooling (NCW or NWC) over windows of ``pool_size`` moved by
    ``strides`` (default: ``pool_size``) over the input padded by
    ``padding``; ``ceil_mode`` keeps a last partial window."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
                 **kwargs):
        super().__init__(("NCW", "NWC"), pool_size, strides, padding, ceil_mode, False,
                         "max", layout, **kwargs)


class MaxPool2D(_Pooling):
    """2-D max pooling (NCHW or NHWC); arguments as for MaxPool1D."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout="NCHW",
                 ceil_mode=False, **kwargs):
        super().__init__(("NCHW", "NHWC"), pool_size, strides, padding, ceil_mode, False,
                         "max", layout, **kwargs)


class MaxPool3D(_Pooling):
    """3-D max pooling (NCDHW or NDHWC); arguments as for MaxPool1D."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCDHW", **kwargs):
        super().__init__(("NCDHW", "NDHWC"), pool_size, strides, padding, ceil_mode, False,
                         "max", layout, **kwargs)


class AvgPool1D(_Pooling):
    """1-D average pooling (NCW or NWC); arguments as for MaxPool1D, and
    ``count_include_pad=False`` leaves padded elements out of the divisor."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
                 count_include_pad=True, **kwargs):
        super().__init__(("NCW", "NWC"), pool_size, strides, padding, ceil_mode, False,
                         "avg", layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """2-D average pooling (NCHW or NHWC); arguments as for AvgPool1D."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCHW", count_include_pad=True, **kwargs):
        super().__init__(("NCHW", "NHWC"), pool_size, strides, padding, ceil_mode, False,
                         "avg", layout, count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """3-D average pooling (NCDHW or NDHWC); arguments as for AvgPool1D."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCDHW", count_include_pad=True, **kwargs):
        super().__init__(("NCDHW", "NDHWC"), pool_size, strides, padding, ceil_mode, False,
                         "avg", layout, count_include_pad, **kwargs)


class GlobalMaxPool1D(_Pooling):
    """Maximum over the width of each channel (NCW or NWC)."""

    def __init__(self, layout="NCW", **kwargs):
        super().__init__(("NCW", "NWC"), 1, None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    """Maximum over the height and width of each channel (NCHW or NHWC)."""

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__(("NCHW", "NHWC"), 1, None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    """Maximum over the three spatial axes of each channel (NCDHW or NDHWC)."""

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__(("NCDHW", "NDHWC"), 1, None, 0, True, True, "max", layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    """Mean over the width of each channel (NCW or NWC)."""

    def __init__(self, layout="NCW", **kwargs):
        super().__init__(("NCW", "NWC"), 1, None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    """Mean over the height and width of each channel (NCHW or NHWC)."""

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__(("NCHW", "NHWC"), 1, None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    """Mean over the three spatial axes of each channel (NCDHW or NDHWC)."""

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__(("NCDHW", "NDHWC"), 1, None, 0, True, True, "avg", layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads the two spatial axes of an NCHW batch by reflection: ``padding``
    is an int (all four sides) or the 8-tuple ``pad_width`` of ``pad``."""

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, Number):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if len(padding) != 8:
            raise MXNetError(f"ReflectionPad2D: padding must be an int or a tuple of 8 ints "
                             f"(pad_width), got {padding}")
        self._padding = padding

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.pad(x, mode="reflect", pad_width=self._padding)
