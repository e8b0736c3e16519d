"""Text data for the legacy RNN API: word coding and a bucketing iterator."""
import bisect
import random

import numpy as np

from .. import ndarray
from ..base import MXNetError
from ..io import DataBatch, DataDesc, DataIter


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key="\n", start_label=0,
                     unknown_token=None):
    """Code each sentence (a list of words) as a list of integers.

    Without ``vocab`` one is built: ``invalid_key`` maps to ``invalid_label``
    and new words get ``start_label``, ``start_label + 1``... (skipping
    ``invalid_label``). With a ``vocab``, an unknown word is an error unless
    ``unknown_token`` is given; it is then entered under that token with the
    next number. Returns ``(coded sentences, vocab)``."""
    grow = vocab is None
    if grow:
        vocab = {invalid_key: invalid_label}
    idx = start_label
    coded = []
    for sentence in sentences:
        codes = []
        for word in sentence:
            if word not in vocab:
                if not (grow or unknown_token):
                    raise MXNetError(f"Unknown token {word}")
                if idx == invalid_label:
                    idx += 1
                if unknown_token:
                    word = unknown_token
                vocab[word] = idx
                idx += 1
            codes.append(vocab[word])
        coded.append(codes)
    return coded, vocab


class BucketSentenceIter(DataIter):
    """Batches of coded sentences padded with ``invalid_label`` to the length of
    their bucket (the smallest of ``buckets`` that holds them; longer sentences
    are dropped). Labels are the data shifted one step left. Each batch
    carries its ``bucket_key`` for ``BucketingModule``. The order of batches
    and of sentences in a bucket is reshuffled on every ``reset`` (with
    Python's and NumPy's global generators).

    ``buckets`` defaults to every length that at least ``batch_size``
    sentences have; ``layout`` is 'NT' (batch major) or 'TN'."""

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1, data_name="data",
                 label_name="softmax_label", dtype="float32", layout="NT"):
        super().__init__()
        if layout not in ("NT", "TN"):
            raise MXNetError(f"Invalid layout {layout}: Must by NT (batch major) or TN "
                             "(time major)")
        if not buckets:
            counts = np.bincount([len(s) for s in sentences])
            buckets = [length for length, n in enumerate(counts) if n >= batch_size]
        buckets = sorted(buckets)
        rows = [[] for _ in buckets]
        discarded = 0
        for sentence in sentences:
            which = bisect.bisect_left(buckets, len(sentence))
            if which == len(buckets):
                discarded += 1
                continue
            row = np.full((buckets[which],), invalid_label, dtype=dtype)
            row[:len(sentence)] = sentence
            rows[which].append(row)
        print(f"WARNING: discarded {discarded} sentences longer than the largest bucket.")
        self.data = [np.asarray(r, dtype=dtype).reshape((len(r), length))
                     for r, length in zip(rows, buckets)]
        self.batch_size = batch_size
        self.buckets = buckets
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.layout = layout
        self.major_axis = layout.find("N")
        self.default_bucket_key = max(buckets)
        self.provide_data = [DataDesc(data_name, self._shape(self.default_bucket_key),
                                      layout=layout)]
        self.provide_label = [DataDesc(label_name, self._shape(self.default_bucket_key),
                                       layout=layout)]
        self.idx = [(i, j) for i, bucket in enumerate(self.data)
                    for j in range(0, len(bucket) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.nddata, self.ndlabel = [], []
        self.reset()

    def _shape(self, length):
        return (self.batch_size, length) if self.major_axis == 0 else (length, self.batch_size)

    def reset(self):
        self.curr_idx = 0
        random.shuffle(self.idx)
        for bucket in self.data:
            np.random.shuffle(bucket)
        self.nddata, self.ndlabel = [], []
        for bucket in self.data:
            label = np.full_like(bucket, self.invalid_label)
            label[:, :-1] = bucket[:, 1:]
            self.nddata.append(ndarray.array(bucket, dtype=self.dtype))
            self.ndlabel.append(ndarray.array(label, dtype=self.dtype))

    def next(self):
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, j = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][j:j + self.batch_size]
        label = self.ndlabel[i][j:j + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[i],
                         provide_data=[DataDesc(self.data_name, data.shape,
                                                layout=self.layout)],
                         provide_label=[DataDesc(self.label_name, label.shape,
                                                 layout=self.layout)])
