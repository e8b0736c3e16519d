"""gluon.data datasets and samplers: MXNet 1.9.1's indexing, views and batching rules."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.gluon import data as gdata

with open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "image", "misc.json")) as f:
    MISC = json.load(f)


def test_array_dataset_zips_arrays_and_keeps_1d_ndarrays_as_numpy():
    d = gdata.ArrayDataset(np.arange(10), mx.nd.arange(10), list(range(10, 20)))
    x, y, z = d[2]
    assert (x, float(y), z) == (2, 2.0, 12)
    assert isinstance(y, np.float32) and len(d) == 10
    single = gdata.ArrayDataset(mx.nd.arange(6).reshape(3, 2))
    assert isinstance(single[0], mx.nd.NDArray) and single[0].shape == (2,)
    with pytest.raises(ValueError, match="same length"):
        gdata.ArrayDataset(np.arange(3), np.arange(4))


def test_views_shard_take_filter_sample():
    s = gdata.SimpleDataset(list(range(10)))
    assert list(s.shard(3, 0)) == [0, 1, 2, 3]
    assert list(s.shard(3, 2)) == [7, 8, 9]
    assert list(s.take(4)) == [0, 1, 2, 3] and len(s.take(None)) == 10
    assert list(s.filter(lambda x: x > 6)) == [7, 8, 9]
    assert list(s.sample(gdata.SequentialSampler(3, 5))) == [5, 6, 7]
    with pytest.raises(ValueError):
        s.shard(3, 3)


def test_transform_and_transform_first():
    s = gdata.SimpleDataset(list(range(5)))
    eager = s.transform(lambda x: x * 2, lazy=False)
    assert isinstance(eager, gdata.SimpleDataset) and list(eager) == [0, 2, 4, 6, 8]
    pairs = gdata.ArrayDataset(np.arange(3), np.arange(3))
    assert pairs.transform_first(lambda x: x + 100)[1] == (101, 1)
    assert pairs.transform(lambda x, y: x + y)[2] == 4


def test_samplers():
    assert list(gdata.SequentialSampler(5, 2)) == [2, 3, 4, 5, 6]
    np.random.seed(3)  # same NumPy shuffle as MXNet's RandomSampler
    assert list(gdata.RandomSampler(12)) == MISC["random_sampler_seed3"]
    odd = gdata.FilterSampler(lambda x: x % 2, gdata.SimpleDataset(list(range(10))))
    assert list(odd) == [1, 3, 5, 7, 9] and len(odd) == 5
    assert list(gdata.IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]
    assert list(gdata.IntervalSampler(7, 3, rollover=False)) == [0, 3, 6]


@pytest.mark.parametrize("last_batch,epochs,lengths", [
    ("keep", [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]], [4]),
    ("discard", [[[0, 1, 2], [3, 4, 5], [6, 7, 8]]], [3]),
    ("rollover", [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[9, 0, 1], [2, 3, 4], [5, 6, 7]]], [3, 3]),
])
def test_batch_sampler_last_batch_modes(last_batch, epochs, lengths):
    b = gdata.BatchSampler(gdata.SequentialSampler(10), 3, last_batch)
    for expected, length in zip(epochs, lengths):
        assert len(b) == length
        assert list(b) == expected


def test_batch_sampler_rejects_unknown_mode():
    with pytest.raises(ValueError, match="last_batch"):
        gdata.BatchSampler(gdata.SequentialSampler(10), 3, "xx")
