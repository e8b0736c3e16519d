"""``mx.gluon.contrib.nn``: extra layers (PixelShuffle, SparseEmbedding,
SyncBatchNorm) and the Concurrent/Identity containers."""
from .basic_layers import Concurrent, HybridConcurrent, Identity, SparseEmbedding, \
    SyncBatchNorm, PixelShuffle1D, PixelShuffle2D, PixelShuffle3D
