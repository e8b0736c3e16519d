"""``mx.io``: data iterators (in-memory, CSV, LibSVM, MNIST and image RecordIO files)."""
from .io import (DataDesc, DataBatch, DataIter, MXDataIter, NDArrayIter, ResizeIter,
                 PrefetchingIter)
from .text_iters import CSVIter, LibSVMIter
from .mnist import MNISTIter
from .image_record import (ImageRecordIter, ImageRecordUInt8Iter, ImageRecordInt8Iter,
                           ImageDetRecordIter, ImageRecordIter_v1, ImageRecordUInt8Iter_v1)
from . import io
