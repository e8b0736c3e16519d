"""Gradient compression with error feedback, as MXNet's kvstore applies it.

``2bit`` (MXNet 1.x): the gradient is added to a residual kept per key and
per sender; every element whose residual reaches ``threshold`` is sent as
``+threshold`` (``<= -threshold``: ``-threshold``), the others as 0, and what
was sent is subtracted from the residual, so nothing is lost, only delayed.

``1bit`` (added in MXNet 2.x; 1.9 rejects it): every element is sent as +1
when its residual exceeds ``threshold`` (default 0) and as -1 otherwise, the
residual again keeping the difference.

Codes travel packed (2 or 1 bit per value) between workers: ``pack`` and
``unpack`` turn a compressed gradient into bytes and back.
"""
import numpy as np

from ..base import MXNetError

__all__ = ["GradientCompression"]

_DEFAULT_THRESHOLD = {"2bit": 0.5, "1bit": 0.0}


class GradientCompression:
    """Parsed ``compression_params`` plus the residuals of every (key, sender)."""

    def __init__(self, params):
        if not isinstance(params, dict):
            raise MXNetError(f"set_gradient_compression: compression_params must be a dict "
                             f"like {{'type': '2bit', 'threshold': 0.5}}, got "
                             f"{type(params).__name__}")
        if "type" not in params:
            raise MXNetError("set_gradient_compression: the parameter 'type' ('2bit' or "
                             "'1bit') is missing")
        ctype = str(params["type"])
        if ctype not in _DEFAULT_THRESHOLD:
            raise MXNetError(f"set_gradient_compression: unknown compression type {ctype!r}; "
                             "expected '2bit' or '1bit'")
        threshold = float(params.get("threshold", _DEFAULT_THRESHOLD[ctype]))
        if ctype == "2bit" and not threshold > 0:
            raise MXNetError(f"set_gradient_compression: threshold must be greater than 0 "
                             f"for 2bit compression, got {threshold}")
        self.type = ctype
        self.threshold = threshold
        self._residuals = {}

    def compress(self, key, sender, grad):
        """The values ``grad`` is sent as (NumPy, same dtype), updating the
        residual of (``key``, ``sender``)."""
        residual = self._residuals.get((key, sender))
        if residual is None or residual.shape != grad.shape:
            residual = self._residuals[(key, sender)] = np.zeros(grad.shape, grad.dtype)
        residual += grad
        t = residual.dtype.type(self.threshold)
        if self.type == "2bit":
            sent = np.where(residual >= t, t, np.where(residual <= -t, -t, 0)).astype(
                residual.dtype)
        else:
            sent = np.where(residual > t, 1, -1).astype(residual.dtype)
        residual -= sent
        return sent

    def pack(self, sent):
        """``sent`` (output of ``compress``) as packed codes (uint8)."""
        flat = sent.reshape(-1)
        if self.type == "1bit":
            return np.packbits(flat > 0)
        codes = np.where(flat > 0, 1, np.where(flat < 0, 2, 0)).astype(np.uint8)
        codes = np.pad(codes, (0, -len(codes) % 4))
        quads = codes.reshape(-1, 4)
        return quads[:, 0] | (quads[:, 1] << 2) | (quads[:, 2] << 4) | (quads[:, 3] << 6)

    def unpack(self, packed, shape, dtype):
        """The values that ``pack`` encoded, as an array of ``shape``/``dtype``."""
        size = int(np.prod(shape))
        if self.type == "1bit":
            bits = np.unpackbits(packed)[:size]
            return np.where(bits, 1, -1).astype(dtype).reshape(shape)
        codes = np.stack([(packed >> s) & 3 for s in (0, 2, 4, 6)], axis=1).reshape(-1)[:size]
        t = np.dtype(dtype).type(self.threshold)
        table = np.array([0, t, -t], dtype=dtype)
        return table[codes].reshape(shape)

    def packed_size(self, size):
        """Bytes of the packed form of ``size`` values."""
        return (size + 7) // 8 if self.type == "1bit" else (size + 3) // 4
