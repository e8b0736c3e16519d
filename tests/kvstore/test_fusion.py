"""Tensor fusion of the allreduces of one push (mxnet/kvstore/fusion.py),
checked with a stand-in communicator; the MPI jobs of test_kvstore_dist.py
check it between real ranks."""
import numpy as np
import pytest

from mxnet.base import MXNetError
from mxnet.kvstore import fusion


IN_PLACE = object()  # stands for mpi4py's MPI.IN_PLACE


class TwoRanks:
    """A communicator whose other rank holds the same values: the in-place
    sum doubles the buffer. Records the sizes of the messages it was given."""

    def __init__(self):
        self.messages = []

    def Allreduce(self, send, recv):  # noqa: N802 (mpi4py's name)
        assert send is IN_PLACE and recv.flags.c_contiguous
        self.messages.append(recv.size)
        recv *= 2


def arrays(*specs):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(n).astype(dtype) for n, dtype in specs]


def test_small_arrays_share_buckets_up_to_the_bound_and_large_ones_go_alone():
    a = arrays((10, "f4"), (20, "f4"), (30, "f4"), (1000, "f4"), (5, "f4"), (6, "f8"), (7, "f8"))
    # bound 200 bytes: 10+20 floats fit (120 B), 30 more would not; 1000 floats go alone;
    # a dtype change starts a new bucket
    assert fusion.plan_buckets(a, 200) == [[0, 1], [2], [3], [4], [5, 6]]
    assert fusion.plan_buckets(a, 0) == [[i] for i in range(7)]
    # arrays of 'alone' bytes or more are not copied into a bucket
    assert fusion.plan_buckets(a, 200, alone=60) == [[0], [1], [2], [3], [4], [5, 6]]


def test_fused_sums_land_in_every_receiving_array_with_reused_buffers():
    sends = arrays((3, "f4"), (12, "f4"), (4, "f4"), (50_000, "f4"), (2, "f8"))
    sends[1] = sends[1].reshape(3, 4)
    sends[2] = np.asfortranarray(np.arange(4, dtype="f4").reshape(2, 2))  # any layout is sent
    sends[4] = sends[4][::-1]  # copied into its receiving array by its message
    recvs = [np.empty(s.shape, s.dtype) for s in sends]
    own = np.arange(5000, dtype="f4")  # summed in place: its own receiving array
    pairs = list(zip(sends, recvs)) + [(own, own)]
    comm, buffers = TwoRanks(), {}
    job = fusion.FusedAllreduce(comm, pairs, 4096, 4096, buffers, IN_PLACE)
    messages = job.messages()
    assert len(messages) == 4
    for send in messages:
        send()
    job.finish()
    assert comm.messages == [19, 50_000, 2, 5000]
    for s, r in zip(sends, recvs):
        np.testing.assert_array_equal(r, s * 2)
    np.testing.assert_array_equal(own, np.arange(5000) * 2)
    kept = dict(buffers)
    fusion.FusedAllreduce(comm, pairs, 4096, 4096, buffers, IN_PLACE)
    assert all(buffers[k] is v for k, v in kept.items()), "same layout, same buffers"


def test_fusion_bound_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MXNET_KVSTORE_FUSION_BYTES", "1024")
    monkeypatch.setenv("MXNET_KVSTORE_FUSION_ARRAY_BYTES", "100")
    assert fusion.fusion_bytes() == (1024, 100)
    monkeypatch.delenv("MXNET_KVSTORE_FUSION_BYTES")
    monkeypatch.delenv("MXNET_KVSTORE_FUSION_ARRAY_BYTES")
    assert fusion.fusion_bytes() == (4 << 20, 64 << 10)
    monkeypatch.setenv("MXNET_KVSTORE_FUSION_BYTES", "lots")
    with pytest.raises(MXNetError, match="MXNET_KVSTORE_FUSION_BYTES.*'lots'"):
        fusion.fusion_bytes()
