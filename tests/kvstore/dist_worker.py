"""Programs run by every rank of the MPI jobs of test_kvstore_dist.py.

``python dist_worker.py sync``: dist_sync semantics (worker 0's init, sums
over workers and devices, the optimizer on every replica, 2bit compression,
Horovod-style allreduce). ``trainer``: Gluon training on a dist_sync store
compared with one process training on the global batch.
``python dist_worker.py async``: dist_async training of a linear model.
``python dist_worker.py stall``: the last worker stops taking part;
``die``: it exits with an error instead.
Each rank prints ``OK <rank>`` when all its checks passed.
"""
import os
import sys
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon
from mxnet import kvstore as kvs


def check_sync():
    kv = kvs.create("dist_sync")
    rank, n = kv.rank, kv.num_workers
    assert kv.type == "dist_sync" and kv.is_capable("optimizer")
    kv.init(["a", "b"], [mx.nd.full((2, 3), rank + 1.0), mx.nd.zeros(4)])
    out = mx.nd.zeros((2, 3))
    kv.pull("a", out=out)
    assert (out.asnumpy() == 1).all(), "init takes worker 0's value"
    # every worker pushes (rank + 1) from two devices
    kv.push("a", [mx.nd.full((2, 3), rank + 1.0, ctx=mx.cpu(d)) for d in range(2)])
    outs = [mx.nd.zeros((2, 3), ctx=mx.cpu(d)) for d in range(2)]
    kv.pull("a", out=outs)
    expected = 2 * sum(range(1, n + 1))
    assert all((o.asnumpy() == expected).all() for o in outs), outs[1]
    grads = [mx.nd.full(4, float(rank))]
    kv.pushpull("b", grads)
    assert (grads[0].asnumpy() == sum(range(n))).all()
    kv.barrier()

    # a list of keys is one push: small arrays fused into few allreduces, any
    # dtype, the results those of one push per key
    os.environ["MXNET_KVSTORE_FUSION_BYTES"] = "4096"
    fused_kv = kvs.create("dist_sync")
    del os.environ["MXNET_KVSTORE_FUSION_BYTES"]
    shapes = [(3,), (2, 5), (40,), (2000,), (7,), (3, 3)]
    dtypes = ["float32"] * 5 + ["float64"]
    keys = list(range(len(shapes)))
    fused_kv.init(keys, [mx.nd.zeros(s, dtype=d) for s, d in zip(shapes, dtypes)])
    values = [mx.nd.array(np.random.RandomState(rank * 10 + k).uniform(-1, 1, s), dtype=d)
              for k, (s, d) in enumerate(zip(shapes, dtypes))]
    expected = [sum(np.random.RandomState(r * 10 + k).uniform(-1, 1, s).astype(d)
                    for r in range(n)) for k, (s, d) in enumerate(zip(shapes, dtypes))]
    outs = [mx.nd.zeros(s, dtype=d) for s, d in zip(shapes, dtypes)]
    fused_kv.pushpull(keys, values, out=outs)
    assert fused_kv._collectives == 4, fused_kv._collectives  # [0 1 2] [3] [4] [5]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o.asnumpy(), e, rtol=1e-5, atol=1e-6)
    fused_kv.pushpull(keys, values)  # twice: the recycled buffers hold the new sums
    for v, e in zip(values, expected):
        np.testing.assert_allclose(v.asnumpy(), e, rtol=1e-5, atol=1e-6)
    pulled = mx.nd.zeros((2000,))
    fused_kv.pull(3, out=pulled)
    np.testing.assert_allclose(pulled.asnumpy(), expected[3], rtol=1e-5, atol=1e-6)

    # pushpull into the pushed array sums in place there and the store refers
    # to it, as MXNet's local store refers to a pushed array (checked with
    # MXNet 1.9.1's 'local' store: later writes to the array show in pulls)
    ip_kv = kvs.create("dist_sync")
    ip_kv.init(["p", "q"], [mx.nd.zeros(5), mx.nd.zeros(5)])
    total = sum(range(1, n + 1))
    g = mx.nd.full(5, rank + 1.0)
    ip_kv.pushpull("p", g)
    assert (g.asnumpy() == total).all() and ip_kv._in_place == 1
    pulled = mx.nd.zeros(5)
    ip_kv.pull("p", out=pulled)
    assert (pulled.asnumpy() == total).all()
    g[:] = -1.0
    ip_kv.pull("p", out=pulled)
    assert (pulled.asnumpy() == -1).all(), "the store refers to the pushed array"
    # another output: the pushed array keeps its value, the store its own copy
    v, o = mx.nd.full(5, rank + 1.0), mx.nd.zeros(5)
    ip_kv.pushpull("q", v, out=o)
    assert (o.asnumpy() == total).all() and (v.asnumpy() == rank + 1).all()
    assert ip_kv._in_place == 1
    o[:] = 7.0
    ip_kv.pull("q", out=pulled)
    assert (pulled.asnumpy() == total).all()
    # the pushed array and another output: in place, then copied
    v2, o2 = mx.nd.full(5, rank + 1.0), mx.nd.zeros(5)
    ip_kv.pushpull("q", v2, out=[v2, o2])
    assert (v2.asnumpy() == total).all() and (o2.asnumpy() == total).all()
    assert ip_kv._in_place == 2
    # an array that is the output of two keys (large: not fused) is summed in
    # place for neither: each key's sum stays right, the last one lands in it
    ip_kv.init(["r", "s"], [mx.nd.zeros(20000), mx.nd.zeros(20000)])
    g3 = mx.nd.full(20000, rank + 1.0)
    ip_kv.pushpull(["r", "s"], [g3, g3])
    assert (g3.asnumpy() == total).all() and ip_kv._in_place == 2
    a, b = mx.nd.full(20000, rank + 1.0), mx.nd.full(20000, 10.0 * (rank + 1))
    ip_kv.pushpull(["r", "s"], [a, b], out=[a, a])
    assert (a.asnumpy() == 10 * total).all() and ip_kv._in_place == 2
    for k, expected in (("r", total), ("s", 10 * total)):
        big = mx.nd.zeros(20000)
        ip_kv.pull(k, out=big)
        assert (big.asnumpy() == expected).all(), k
    # plain pushes after it store the sums elsewhere (the second one in the
    # buffer the first left over, never in the user's array)
    ip_kv.push("p", mx.nd.full(5, 2.0))
    ip_kv.push("p", mx.nd.full(5, 3.0))
    ip_kv.pull("p", out=pulled)
    assert (pulled.asnumpy() == 3 * n).all() and (g.asnumpy() == -1).all()
    # an optimizer never updates the user's array in place either
    ip_kv.pushpull("p", g)
    assert (g.asnumpy() == -n).all() and ip_kv._in_place == 3
    ip_kv.set_optimizer(mx.optimizer.SGD(learning_rate=1.0))
    ip_kv.push("p", mx.nd.ones(5))
    ip_kv.pull("p", out=pulled)
    assert (pulled.asnumpy() == -2 * n).all() and (g.asnumpy() == -n).all()

    # the optimizer runs on every replica with the summed gradient
    opt_kv = kvs.create("dist_device_sync")
    opt_kv.init(0, mx.nd.ones(3))
    opt_kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    weight = mx.nd.ones(3)
    reference = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    for step in range(3):
        grad = np.arange(3, dtype="float32") * (step + 1)
        opt_kv.push(0, mx.nd.array(grad * (rank + 1)))
        reference(0, mx.nd.array(grad * sum(range(1, n + 1))), weight)
    opt_kv.pull(0, out=out[0])
    np.testing.assert_allclose(out[0].asnumpy(), weight.asnumpy(), rtol=1e-6)

    # 2bit compression: each worker sends its gradient compressed with its residual
    comp_kv = kvs.create("dist_sync")
    comp_kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    comp_kv.init(0, mx.nd.zeros(5))
    residuals = [np.zeros(5, "float32") for _ in range(n)]
    for step in range(3):
        grads = [np.random.RandomState(10 * step + r).uniform(-1, 1, 5).astype("float32")
                 for r in range(n)]
        comp_kv.push(0, mx.nd.array(grads[rank]))
        total = np.zeros(5, "float32")
        for r in range(n):
            residuals[r] += grads[r]
            sent = np.where(residuals[r] >= 0.5, 0.5, np.where(residuals[r] <= -0.5, -0.5, 0))
            residuals[r] -= sent
            total += sent
        result = mx.nd.zeros(5)
        comp_kv.pull(0, out=result)
        np.testing.assert_allclose(result.asnumpy(), total)

    # Horovod-style allreduce and broadcast over the same job
    hvd = kvs.create("horovod")
    assert (hvd.rank, hvd.num_workers) == (rank, n) and not hvd.is_capable("optimizer")
    value = mx.nd.full(3, rank + 1.0)
    hvd.pushpull("g", value)
    assert (value.asnumpy() == sum(range(1, n + 1))).all()
    target = mx.nd.zeros(3)
    hvd.broadcast("w", mx.nd.full(3, 10.0 + rank), out=target)
    assert (target.asnumpy() == 10).all()

    print(f"OK {rank}", flush=True)


def make_net(seed, ctxs):
    rng = np.random.RandomState(seed)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(6, in_units=4, activation="tanh"), gluon.nn.Dense(3, in_units=6))
    net.initialize(ctx=ctxs)
    for p in net.collect_params().values():
        p.set_data(mx.nd.array(rng.normal(0, 0.5, p.shape)))
    return net


def fit(net, ctxs, batches, kvstore, update_on_kvstore=None):
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05},
                            kvstore=kvstore, update_on_kvstore=update_on_kvstore)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for x, y, global_batch in batches:
        xs = gluon.utils.split_and_load(x, ctxs)
        ys = gluon.utils.split_and_load(y, ctxs)
        with autograd.record():
            losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(global_batch)
    return [p.data(ctxs[0]).asnumpy() for p in net.collect_params().values()]


def check_trainer():
    """Each worker trains on its shard of the global batch on two devices;
    the result equals one device training on the whole global batch."""
    kv = kvs.create("dist_sync")
    rank, n = kv.rank, kv.num_workers
    per_worker = 4
    rng = np.random.RandomState(7)
    data = [(rng.uniform(-1, 1, (per_worker * n, 4)), rng.randint(0, 3, per_worker * n))
            for _ in range(4)]
    shard = [(mx.nd.array(x[rank * per_worker:(rank + 1) * per_worker]),
              mx.nd.array(y[rank * per_worker:(rank + 1) * per_worker]), per_worker * n)
             for x, y in data]
    two = [mx.cpu(0), mx.cpu(1)]
    mine = fit(make_net(1, two), two, shard, kv)
    whole = [(mx.nd.array(x), mx.nd.array(y), per_worker * n) for x, y in data]
    reference = fit(make_net(1, [mx.cpu(0)]), [mx.cpu(0)], whole, "device")
    for a, b in zip(mine, reference):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # one device per worker, updates on the workers: the gradients are summed
    # in place (no copy in the store), with the same result
    kv_grads = kvs.create("dist_sync")
    one = [mx.cpu(0)]
    on_workers = fit(make_net(1, one), one, shard, kv_grads, update_on_kvstore=False)
    assert kv_grads._in_place > 0, kv_grads._in_place
    for a, b in zip(on_workers, reference):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    print(f"OK {rank}", flush=True)


def check_async():
    kv = kvs.create("dist_async")
    rank = kv.rank
    true_w = np.array([1.5, -2.0, 0.5], "float32")
    kv.init("w", mx.nd.zeros(3))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, rescale_grad=1.0 / 16))
    rng = np.random.RandomState(rank)
    w = mx.nd.zeros(3)
    for _ in range(60):
        kv.pull("w", out=w)
        x = rng.uniform(-1, 1, (16, 3)).astype("float32")
        y = x @ true_w
        grad = 2 * x.T @ (x @ w.asnumpy() - y)  # squared error, summed over the batch
        kv.push("w", mx.nd.array(grad))
    kv.barrier()
    kv.pull("w", out=w)
    assert np.abs(w.asnumpy() - true_w).max() < 0.05, w
    print(f"OK {rank}", flush=True)


def check_stall(die=False):
    kv = kvs.create("dist_sync")
    kv.init(0, mx.nd.zeros(2))
    if kv.rank == kv.num_workers - 1:
        if die:
            os._exit(3)
        time.sleep(120)  # alive, but no longer taking part
    kv.push(0, mx.nd.ones(2))
    kv.pull(0, out=mx.nd.zeros(2))
    print(f"OK {kv.rank}", flush=True)


if __name__ == "__main__":
    {"sync": check_sync, "trainer": check_trainer, "async": check_async, "stall": check_stall,
     "die": lambda: check_stall(die=True)}[sys.argv[1]]()
