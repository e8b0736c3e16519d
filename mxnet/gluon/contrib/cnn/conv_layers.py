"""Deformable convolution layers (v1 and the modulated v2).

Each layer owns two convolutions: an ordinary one (``offset_weight``,
``offset_bias``) that predicts, from the input, the sampling offsets (and for
v2 the modulation mask, squashed to ``2*sigmoid``), and the deformable one
(``deformable_conv_weight``, ``deformable_conv_bias``) that samples the input
at the shifted positions. The offset branch starts at zero, so a fresh layer
computes a plain convolution. Constructor arguments, parameter names, their
order and shapes, and the reprs are MXNet 1.9.1's.
"""
from numbers import Number

from ....base import MXNetError
from ...block import HybridBlock
from ...nn import Activation
from ...nn.conv_layers import conv_repr

__all__ = ["DeformableConvolution", "ModulatedDeformableConvolution"]


def _pair(value):
    """An int becomes (int, int); sequences are kept as given (reprs show them so)."""
    return (value,) * 2 if isinstance(value, Number) else value


class _DeformableConv(HybridBlock):
    """What both versions share; ``maps_per_tap`` is 2 (offsets) or 3 (offsets + mask)
    channels of the offset branch per kernel tap and deformable group."""
    _maps_per_tap = 2

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups,
                 num_deformable_group, layout, use_bias, in_channels, activation,
                 weight_initializer, bias_initializer, offset_weight_initializer,
                 offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params):
        super().__init__(prefix=prefix, params=params)
        if adj is not None:
            raise MXNetError(f"{type(self).__name__}: 'adj' (output padding) is not "
                             f"supported by deformable convolutions, got adj={adj}")
        kernel_size = _pair(kernel_size)
        if len(kernel_size) != 2:
            raise MXNetError(f"{type(self).__name__}: kernel_size must be an int or 2 ints, "
                             f"got {kernel_size}")
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = op_name
            taps = kernel_size[0] * kernel_size[1]
            self._offset_split = 2 * taps * num_deformable_group
            offset_channels = self._maps_per_tap * taps * num_deformable_group
            geometry = {"kernel": kernel_size, "stride": _pair(strides),
                        "dilate": _pair(dilation), "pad": _pair(padding)}
            self._kwargs_offset = dict(geometry, num_filter=offset_channels, num_group=groups,
                                       no_bias=not offset_use_bias, layout=layout)
            self._kwargs_deformable_conv = dict(
                geometry, num_filter=channels, num_group=groups,
                num_deformable_group=num_deformable_group, no_bias=not use_bias,
                layout=layout)
            offset = [("offset_weight", (offset_channels, in_channels // groups)
                       + tuple(kernel_size), offset_weight_initializer)]
            if offset_use_bias:
                offset.append(("offset_bias", (offset_channels,), offset_bias_initializer))
            # MXNet declares this weight's input channels as unknown (0) even when
            # in_channels is given, as a list: both show in reprs and parameter listings.
            conv = [("deformable_conv_weight", [channels, 0] + list(kernel_size),
                     weight_initializer)]
            if use_bias:
                conv.append(("deformable_conv_bias", (channels,), bias_initializer))
            self.offset_bias = self.deformable_conv_bias = None  # unless created below
            for name, shape, init in self._param_order(offset, conv):
                setattr(self, name, self.params.get(name, shape=shape, init=init,
                                                    allow_deferred_init=True))
            self.act = Activation(activation, prefix=activation + "_") \
                if activation is not None else None

    @staticmethod
    def _param_order(offset, conv):
        return offset + conv

    def _offset_and_mask(self, F, offsets):
        return (offsets,)

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        branch = [x, offset_weight] + ([offset_bias] if offset_bias is not None else [])
        offsets = F.Convolution(*branch, cudnn_off=True, **self._kwargs_offset)
        conv = [deformable_conv_weight] + \
            ([deformable_conv_bias] if deformable_conv_bias is not None else [])
        out = getattr(F.contrib, self._op_name)(x, *self._offset_and_mask(F, offsets), *conv,
                                                name="fwd", **self._kwargs_deformable_conv)
        return self.act(out) if self.act is not None else out

    def _alias(self):
        return "deformable_conv"


class DeformableConvolution(_DeformableConv):
    """2-d deformable convolution (Dai et al., 2017): every kernel tap samples the
    input at its regular position plus a learned offset, predicted from the
    input by a convolution with the same geometry (zero-initialised).

    Takes NCHW data (batch, in_channels, height, width); parameters
    ``offset_weight`` (2*taps*num_deformable_group, in_channels/groups, kh, kw),
    ``offset_bias``, ``deformable_conv_weight`` (channels, in_channels/groups, kh, kw)
    and ``deformable_conv_bias``."""

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, num_deformable_group=1, layout="NCHW",
                 use_bias=True, in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer="zeros", offset_weight_initializer="zeros",
                 offset_bias_initializer="zeros", offset_use_bias=True,
                 op_name="DeformableConvolution", adj=None, prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         num_deformable_group, layout, use_bias, in_channels, activation,
                         weight_initializer, bias_initializer, offset_weight_initializer,
                         offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    def __repr__(self):
        return conv_repr(self, self.deformable_conv_weight.shape[1], self._channels,
                         self._kwargs_deformable_conv, self.deformable_conv_bias is None)


class ModulatedDeformableConvolution(_DeformableConv):
    """2-d modulated deformable convolution (DCN v2, Zhu et al., 2018): as
    DeformableConvolution, with each sample also scaled by a learned mask in
    (0, 2). The offset branch predicts 3*taps*num_deformable_group maps: the
    offsets, then the mask logits (mask = 2*sigmoid(logits), 1 at initialisation).

    Parameters, in order: ``deformable_conv_weight``, ``deformable_conv_bias``,
    ``offset_weight``, ``offset_bias``. Its repr is a plain Block's, as in MXNet."""
    _maps_per_tap = 3

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, num_deformable_group=1, layout="NCHW",
                 use_bias=True, in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer="zeros", offset_weight_initializer="zeros",
                 offset_bias_initializer="zeros", offset_use_bias=True,
                 op_name="ModulatedDeformableConvolution", adj=None, prefix=None,
                 params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         num_deformable_group, layout, use_bias, in_channels, activation,
                         weight_initializer, bias_initializer, offset_weight_initializer,
                         offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    @staticmethod
    def _param_order(offset, conv):
        return conv + offset

    def _offset_and_mask(self, F, offsets):
        split = self._offset_split
        logits = F.slice_axis(offsets, axis=1, begin=split, end=None)
        return F.slice_axis(offsets, axis=1, begin=0, end=split), F.sigmoid(logits) * 2

    def _alias(self):
        return "modulated_deformable_conv"
