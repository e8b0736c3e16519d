"""The single-process stores ('local', 'device'): MXNet 1.9.1's results and rules."""
import json
import os
import pickle

import numpy as np
import pytest

import mxnet as mx
from mxnet import kvstore as kvs
from mxnet.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "kvstore")
with open(os.path.join(FIXTURES, "cases.json")) as _f:
    SPEC = json.load(_f)
SHAPE = tuple(SPEC["shape"])


@pytest.fixture(scope="module")
def recorded():
    return np.load(os.path.join(FIXTURES, "kvstore.npz"))


@pytest.mark.parametrize("case", sorted(SPEC["cases"]))
def test_pushes_give_what_mxnet_pulled(case, recorded):
    kvtype, ndev, optimizer, compression = SPEC["cases"][case]
    kv = kvs.create(kvtype)
    if compression:
        kv.set_gradient_compression(compression)
    kv.init(0, mx.nd.array(recorded[f"{case}/init"]))
    if optimizer:
        kv.set_optimizer(mx.optimizer.create(optimizer[0], **optimizer[1]))
    for step in range(SPEC["steps"]):
        kv.push(0, [mx.nd.array(recorded[f"{case}/push{step}/{d}"], ctx=mx.cpu(d))
                    for d in range(ndev)])
        out = mx.nd.zeros(SHAPE, ctx=mx.cpu(1))
        kv.pull(0, out=out)
        np.testing.assert_allclose(out.asnumpy(), recorded[f"{case}/pull{step}"],
                                   rtol=1e-5, atol=1e-6, err_msg=f"step {step}")


def test_pull_copies_to_every_device_and_pushpull_writes_back():
    kv = kvs.create("local")
    kv.init("w", mx.nd.ones((2, 2)))
    outs = [mx.nd.zeros((2, 2), ctx=mx.cpu(i)) for i in range(3)]
    kv.pull("w", out=outs)
    for i, o in enumerate(outs):
        assert o.context == mx.cpu(i)
        np.testing.assert_array_equal(o.asnumpy(), np.ones((2, 2)))
    grads = [mx.nd.full((2, 2), i + 1, ctx=mx.cpu(i)) for i in range(2)]
    kv.pushpull("w", grads)
    for g in grads:
        np.testing.assert_array_equal(g.asnumpy(), np.full((2, 2), 3))
    stored = mx.nd.zeros((2, 2))
    kv.pull("w", out=stored)
    np.testing.assert_array_equal(stored.asnumpy(), np.full((2, 2), 3))


def test_lists_of_keys_and_values():
    kv = kvs.create("device")
    kv.init([3, 5], [mx.nd.ones(2), mx.nd.full(2, 2.0)])
    kv.push([3, 5], [[mx.nd.ones(2), mx.nd.ones(2, ctx=mx.cpu(1))], mx.nd.full(2, 7.0)])
    outs = [mx.nd.zeros(2), mx.nd.zeros(2)]
    kv.pull([3, 5], out=outs)
    assert [o.asnumpy().tolist() for o in outs] == [[2, 2], [7, 7]]


def test_key_errors():
    kv = kvs.create("local")
    kv.init(1, mx.nd.ones(3))
    with pytest.raises(MXNetError, match="duplicate init of key 1"):
        kv.init(1, mx.nd.ones(3))
    with pytest.raises(MXNetError, match="mixed key types"):
        kv.init("a", mx.nd.ones(3))
    with pytest.raises(MXNetError, match="key 9 has not been initialized"):
        kv.pull(9, out=mx.nd.zeros(3))
    with pytest.raises(MXNetError, match="has not been initialized"):
        kv.push(8, mx.nd.zeros(3))
    with pytest.raises(MXNetError, match=r"holds shape \(3,\)"):
        kv.push(1, mx.nd.zeros((2, 2)))
    with pytest.raises(MXNetError, match="2 keys need a list of 2"):
        kv.push([1, 1], [mx.nd.zeros(3)])
    with pytest.raises(MXNetError, match="must be an int or a str"):
        kv.init(1.5, mx.nd.ones(3))


def test_broadcast_initializes_and_copies_once():
    kv = kvs.create("local")
    outs = [mx.nd.zeros(2, ctx=mx.cpu(i)) for i in range(2)]
    kv.broadcast("x", mx.nd.full(2, 7.0), out=outs)
    assert [o.asnumpy().tolist() for o in outs] == [[7, 7], [7, 7]]
    with pytest.raises(MXNetError, match="duplicate init of key 'x'"):
        kv.broadcast("x", mx.nd.full(2, 8.0), out=outs)


def test_updater_receives_key_sum_and_stored_value():
    kv = kvs.create("local")
    kv.init(3, mx.nd.full((2,), 6.0))
    calls = []

    def update(key, pushed, stored):
        calls.append((key, pushed.asnumpy().tolist(), stored.asnumpy().tolist()))
        stored += pushed * 2

    kv._set_updater(update)
    kv.push(3, [mx.nd.ones(2), mx.nd.ones(2, ctx=mx.cpu(1))])
    out = mx.nd.zeros(2)
    kv.pull(3, out=out)
    assert calls == [(3, [2, 2], [6, 6])]
    assert out.asnumpy().tolist() == [10, 10]


def test_optimizer_states_save_and_load(tmp_path):
    kv = kvs.create("local")
    kv.init(0, mx.nd.array([1.0, 2.0, 3.0]))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    with pytest.raises(MXNetError, match="no optimizer"):
        kvs.create("local").save_optimizer_states(str(tmp_path / "x"))
    kv.load_optimizer_states(os.path.join(FIXTURES, "sgd_momentum.states"))
    # MXNet's file: momentum after two pushes of [1, -1, 0.5] with lr 0.1
    np.testing.assert_allclose(kv._updater.states[0].asnumpy(), [-0.19, 0.19, -0.095],
                               rtol=1e-6)
    assert kv._updater.optimizer.momentum == 0.9
    fname = str(tmp_path / "kv.states")
    kv.save_optimizer_states(fname)
    states = pickle.loads(open(fname, "rb").read())
    np.testing.assert_allclose(states[0].asnumpy(), [-0.19, 0.19, -0.095], rtol=1e-6)


def test_row_sparse_pull_takes_unique_sorted_rows():
    kv = kvs.create("local")
    kv.init("e", mx.nd.arange(12).reshape((4, 3)).tostype("row_sparse"))
    out = mx.nd.zeros((4, 3)).tostype("row_sparse")
    kv.row_sparse_pull("e", out=out, row_ids=mx.nd.array([2, 0, 2]))
    assert out.indices.asnumpy().tolist() == [0, 2]
    np.testing.assert_array_equal(out.asnumpy()[[0, 2]], [[0, 1, 2], [6, 7, 8]])
    outs = [mx.nd.zeros((4, 3)).tostype("row_sparse") for _ in range(2)]
    kv.row_sparse_pull("e", out=outs, row_ids=[mx.nd.array([0]), mx.nd.array([3])])
    assert [o.indices.asnumpy().tolist() for o in outs] == [[0], [3]]
    with pytest.raises(MXNetError, match="expected row_sparse storage"):
        kv.row_sparse_pull("e", out=mx.nd.zeros((4, 3)), row_ids=mx.nd.array([1]))
    dense = kvs.create("local")
    dense.init("d", mx.nd.ones((4, 3)))
    with pytest.raises(MXNetError, match="expects row_sparse storage"):
        dense.row_sparse_pull("d", out=out, row_ids=mx.nd.array([1]))


def test_sparse_pushes_sum_and_sparse_outputs_need_ignore_sparse_false():
    kv = kvs.create("local")
    kv.init("e", mx.nd.zeros((4, 3)).tostype("row_sparse"))
    g = mx.nd.sparse.row_sparse_array((np.ones((1, 3), "float32"), [1]), shape=(4, 3))
    kv.push("e", [g, g])
    out = mx.nd.zeros((4, 3)).tostype("row_sparse")
    kv.pull("e", out=out)  # ignored, as MXNet does, with a warning
    assert out.asnumpy().sum() == 0
    kv.pull("e", out=out, ignore_sparse=False)
    expected = np.zeros((4, 3))
    expected[1] = 2
    np.testing.assert_array_equal(out.asnumpy(), expected)
    dense = mx.nd.zeros((4, 3))
    kv.pull("e", out=dense)
    np.testing.assert_array_equal(dense.asnumpy(), expected)


def test_device_store_spreads_keys_over_the_devices():
    kv = kvs.create("device")
    for key in range(4):
        kv.init(key, mx.nd.zeros(10))
        kv.push(key, [mx.nd.ones(10, ctx=mx.cpu(d)) for d in range(2)])
    devices = {kv._store[key].context for key in range(4)}
    assert devices == {mx.cpu(0), mx.cpu(1)}
    out = mx.nd.zeros(10)
    kv.pull(3, out=out)
    assert out.asnumpy().tolist() == [2] * 10


def test_one_bit_compression_sends_signs_and_keeps_the_rest():
    # MXNet 2.x semantics: +1 where residual > threshold, else -1.
    kv = kvs.create("device")
    kv.set_gradient_compression({"type": "1bit"})
    kv.init(0, mx.nd.zeros(3))
    out = mx.nd.zeros(3)
    sent = []
    for grad in ([0.4, -0.2, 0.0], [0.4, -0.2, 2.0], [0.4, 1.5, 0.0]):
        kv.push(0, mx.nd.array(grad))
        kv.pull(0, out=out)
        sent.append(out.asnumpy().tolist())
    # residuals: [.4,-.2,0] -> sent [1,-1,-1], residual [-.6,.8,1]
    #            [-.2,.6,3] -> sent [-1,1,1],  residual [.8,-.4,2]
    #            [1.2,1.1,2] -> sent [1,1,1]
    assert sent == [[1, -1, -1], [-1, 1, 1], [1, 1, 1]]


def test_compression_packs_codes_into_bits():
    for params, bits in (({"type": "2bit", "threshold": 0.5}, 2), ({"type": "1bit"}, 1)):
        comp = kvs.compression.GradientCompression(params)
        grad = np.random.RandomState(0).uniform(-1, 1, 37).astype("float32")
        sent = comp.compress("k", 0, grad)
        packed = comp.pack(sent)
        assert packed.dtype == np.uint8 and packed.size == comp.packed_size(37)
        assert packed.size == -(-37 * bits // 8)
        np.testing.assert_array_equal(comp.unpack(packed, (37,), "float32"), sent)


def test_compression_configuration_errors():
    with pytest.raises(MXNetError, match="not supported for this type of kvstore"):
        kvs.create("local").set_gradient_compression({"type": "2bit"})
    kv = kvs.create("device")
    with pytest.raises(MXNetError, match="unknown compression type '3bit'"):
        kv.set_gradient_compression({"type": "3bit"})
    with pytest.raises(MXNetError, match="'type'"):
        kv.set_gradient_compression({"threshold": 0.5})
    with pytest.raises(MXNetError, match="greater than 0"):
        kv.set_gradient_compression({"type": "2bit", "threshold": -1})
    with pytest.raises(MXNetError, match="must be a dict"):
        kv.set_gradient_compression("2bit")


def test_store_description_and_creation():
    for name in ("local", "device", "nccl", "LOCAL", "local_allreduce_cpu"):
        kv = kvs.create(name)
        assert kv.type == name.lower()
        assert (kv.rank, kv.num_workers) == (0, 1)
        assert kv.is_capable(kvs.KVStoreBase.OPTIMIZER)
        kv.barrier()
    with pytest.raises(ValueError, match="Unknown capability"):
        kv.is_capable("gpu")
    with pytest.raises(TypeError, match="name must be a string"):
        kvs.create(3)
    assert isinstance(kvs.create("device"), kvs.KVStore)


def test_registered_classes_are_created_by_name():
    class MyStore(kvs.KVStoreBase):
        pass

    try:
        assert kvs.KVStoreBase.register(MyStore) is MyStore
        assert isinstance(kvs.create("MyStore"), MyStore)
        with pytest.warns(UserWarning, match="overriding"):
            kvs.KVStoreBase.register(MyStore)
    finally:
        kvs.KVStoreBase.kv_registry.pop("mystore", None)
    with pytest.raises(MXNetError, match="subclass of KVStoreBase"):
        kvs.KVStoreBase.register(3)
    assert "horovod" in kvs.KVStoreBase.kv_registry


@pytest.mark.parametrize("name", ["local", "device"])
def test_cpu_devices_are_summed_from_their_own_buffers(name, monkeypatch):
    """Values on cpu devices are added in one operation reading every
    device's buffer: no copy to the merge device, no add_n call; the sum is
    add_n's, in the same order."""
    from mxnet.kvstore import local
    rng = np.random.RandomState(3)
    grads = [rng.uniform(-1, 1, (4, 5)).astype("float32") for _ in range(3)]
    kv = kvs.create(name)
    kv.init("w", mx.nd.zeros((4, 5)))
    values = [mx.nd.array(g, ctx=mx.cpu(i)) for i, g in enumerate(grads)]

    def forbidden(*args, **kwargs):
        raise AssertionError("the cpu sum should not copy or call add_n")

    monkeypatch.setattr(local._op, "add_n", forbidden)
    monkeypatch.setattr(mx.nd.NDArray, "as_in_context", forbidden)
    outs = [mx.nd.zeros((4, 5), ctx=mx.cpu(i)) for i in range(3)]
    kv.pushpull("w", values, out=outs)
    expected = (grads[0] + grads[1]) + grads[2]
    for o in outs:
        np.testing.assert_array_equal(o.asnumpy(), expected)


def test_values_of_another_dtype_are_converted_then_summed_by_add_n(monkeypatch):
    from mxnet.kvstore import local
    calls = []
    add_n = local._op.add_n
    monkeypatch.setattr(local._op, "add_n", lambda *a: calls.append(len(a)) or add_n(*a))
    kv = kvs.create("device")
    kv.init(0, mx.nd.zeros(3))
    kv.push(0, [mx.nd.ones(3, dtype="float16"), mx.nd.ones(3, ctx=mx.cpu(1))])
    out = mx.nd.zeros(3)
    kv.pull(0, out=out)
    assert calls == [2] and out.asnumpy().tolist() == [2.0, 2.0, 2.0]


def test_pull_copies_run_on_the_worker_of_the_summing_device(monkeypatch):
    """The copies of a pulled value to every device are scheduled on the
    device holding the value (so they follow its update on one worker), and
    still land on every device."""
    from mxnet import engine
    from mxnet.kvstore import local
    scheduled = []
    run_or_push = local._nd.run_or_push

    def spy(fn, ctx, reads, writes, name):
        scheduled.append((name, ctx))
        return run_or_push(fn, ctx, reads, writes, name)

    monkeypatch.setattr(local._nd, "run_or_push", spy)
    kv = kvs.create("device")
    kv.init(0, mx.nd.zeros(3, ctx=mx.cpu(1)))
    outs = [mx.nd.zeros(3, ctx=mx.cpu(d)) for d in range(3)]
    kv.pushpull(0, [mx.nd.ones(3, ctx=mx.cpu(1)), mx.nd.ones(3, ctx=mx.cpu(2))], out=outs)
    holder = kv._store[0].context
    assert [c for n, c in scheduled if n == "_kvstore_pull"] == [holder] * 3
    assert all(o.asnumpy().tolist() == [2.0, 2.0, 2.0] for o in outs)

    pushed = []
    eng = engine.get()
    push = eng.push
    monkeypatch.setattr(eng, "push", lambda fn, ctx, r=(), w=(), name=None:
                        pushed.append(ctx) or push(fn, ctx, r, w, name))
    target = mx.nd.zeros(3, ctx=mx.cpu(0))
    local.copy_on_source(kv._store[0], target, defer=True)
    assert pushed == [holder] and target.asnumpy().tolist() == [2.0, 2.0, 2.0]
