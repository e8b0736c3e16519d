"""``mx.gluon.contrib.data``: where MXNet 1.x keeps ``IntervalSampler``
(``sampler.IntervalSampler``; also ``mx.gluon.data.IntervalSampler`` here).
The WikiText datasets of ``contrib.data.text`` (downloads) are not provided."""
from . import sampler
from .sampler import IntervalSampler

__all__ = ["sampler", "IntervalSampler"]
