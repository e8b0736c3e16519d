"""Multi-tensor SGD updates from the optimizers write the new weights where
the weights lie (``mxnet/optimizer/in_place.py``), with results bitwise those
of the op called with separate output arrays; aliased inputs, profiled runs
and pushed runs keep the op's semantics."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.ndarray import invoke
from mxnet.optimizer.in_place import multi_update

nd = mx.nd
SHAPES = [(7, 5), (5,), (3, 4)]


def groups(dtype="float32", momentum=False, master=False, seed=0):
    """(weights, grads, moms, masters) as NumPy arrays."""
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    gs = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ms = [(rng.standard_normal(s) * 0.1).astype("float32" if master else dtype) for s in SHAPES] \
        if momentum else None
    ws32 = [w.astype("float32") for w in ws] if master else None
    return ws, gs, ms, ws32


def flat(ws, gs, ms, ws32):
    out = []
    for i in range(len(ws)):
        out += [ws[i], gs[i]] + ([ms[i]] if ms is not None else []) + \
            ([ws32[i]] if ws32 is not None else [])
    return out


CASES = [("multi_sgd_update", "float32", False, False, {}),
         ("multi_sgd_update", "float32", False, False, {"clip_gradient": 0.3}),
         ("multi_sgd_update", "float16", False, False, {"rescale_grad": 0.5}),
         ("multi_sgd_mom_update", "float32", True, False, {"momentum": 0.9}),
         ("multi_sgd_mom_update", "float16", True, False, {"momentum": 0.9}),
         ("multi_mp_sgd_update", "float16", False, True, {}),
         ("multi_mp_sgd_mom_update", "float16", True, True, {"momentum": 0.8})]


def run_reference(name, arrays, kwargs, shapes=SHAPES):
    """The op with separate outputs: the new weights, and the inputs after."""
    inputs = [nd.array(a, dtype=a.dtype) for a in arrays]
    outs = [nd.zeros(s, dtype=arrays[0].dtype) for s in shapes]
    getattr(nd, name)(*inputs, out=outs, **kwargs)
    return [o.asnumpy() for o in outs], [x.asnumpy() for x in inputs]


@pytest.fixture
def copies(monkeypatch):
    """Names of the ops whose results were copied into out= arrays."""
    names = []
    real = invoke._write_outputs

    def write(op, outs, res):
        names.append(op.name)
        return real(op, outs, res)
    monkeypatch.setattr(invoke, "_write_outputs", write)
    return names


@pytest.mark.parametrize("name,dtype,momentum,master,extra", CASES)
def test_weights_are_updated_where_they_lie_bitwise_as_the_op(name, dtype, momentum, master,
                                                              extra, copies):
    arrays = flat(*groups(dtype, momentum, master))
    kwargs = dict(num_weights=3, lrs=(0.1, 0.05, 0.2), wds=(0.0, 0.01, 0.001), **extra)
    want_w, want_in = run_reference(name, arrays, kwargs)
    assert copies == [name]  # (the reference's)
    inputs = [nd.array(a, dtype=a.dtype) for a in arrays]
    stride = len(inputs) // 3
    weights = inputs[::stride]
    buffers = [w._data for w in weights]
    versions = [w._var.version for w in weights]
    assert multi_update(name, inputs, weights, kwargs) is weights
    assert copies == [name]  # no result copied in
    for w, buf, v, want in zip(weights, buffers, versions, want_w):
        assert w._data is buf  # written in place, not replaced
        assert w._var.version > v
        assert w.asnumpy().tobytes() == want.tobytes()
    for i, (x, want) in enumerate(zip(inputs, want_in)):
        if i % stride:  # grads unchanged, states as the op leaves them
            assert x.asnumpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_trainer_step_keeps_the_weight_buffers(momentum):
    net = mx.gluon.nn.Dense(4, in_units=6)
    net.initialize(mx.init.Xavier())
    ref = mx.gluon.nn.Dense(4, in_units=6)
    ref.initialize()
    for p, q in zip(net.collect_params().values(), ref.collect_params().values()):
        q.set_data(p.data().copy())
    x = nd.array(np.random.default_rng(1).standard_normal((5, 6)))
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": 0.1, "momentum": momentum, "wd": 0.01})
    buffers = [p.data()._data for p in net.collect_params().values()]
    for _ in range(3):
        with mx.autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        trainer.step(5)
    assert [p.data()._data for p in net.collect_params().values()] == buffers
    # The same steps by the op, outputs separate from the weights.
    params = [q.data() for q in ref.collect_params().values()]
    moms = [nd.zeros(p.shape) for p in params]
    for _ in range(3):
        with mx.autograd.record():
            loss = (ref(x) ** 2).sum()
        loss.backward()
        grads = [q.grad() for q in ref.collect_params().values()]
        inputs = []
        for w, g, m in zip(params, grads, moms):
            inputs += [w, g] + ([m] if momentum else [])
        name = "multi_sgd_mom_update" if momentum else "multi_sgd_update"
        extra = {"momentum": momentum} if momentum else {}
        new = getattr(nd, name)(*inputs, num_weights=2, lrs=(0.1, 0.1), wds=(0.01, 0.01),
                                rescale_grad=0.2, out=[nd.zeros(p.shape) for p in params],
                                **extra)
        for w, n in zip(params, new):
            w[:] = n
    for p, q in zip(net.collect_params().values(), params):
        assert p.data().asnumpy().tobytes() == q.asnumpy().tobytes()


def test_update_holds_one_temporary_at_a_time():
    """Fresh results for every weight are not held at once (nor copied)."""
    import tracemalloc
    rng = np.random.default_rng(5)
    inputs = [nd.array(rng.standard_normal(50_000).astype("float32")) for _ in range(8)]
    kwargs = dict(num_weights=4, lrs=(0.1,) * 4, wds=(0.01,) * 4)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        multi_update("multi_sgd_update", inputs, inputs[::2], kwargs)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * 50_000 * 4  # one weight's temporary, not four results


def test_a_gradient_that_views_its_weight_gets_the_ops_result():
    w = np.arange(6, dtype="float32")
    want, _ = run_reference("multi_sgd_update", [w, w[::-1].copy()],
                            dict(num_weights=1, lrs=(0.5,), wds=(0.0,)), [w.shape])
    weight, grad = nd.array(w), nd.array(w)
    grad._data = weight._data[::-1]  # sees the weight's buffer
    multi_update("multi_sgd_update", [weight, grad], [weight],
                 dict(num_weights=1, lrs=(0.5,), wds=(0.0,)))
    assert weight.asnumpy().tobytes() == want[0].tobytes()


def test_the_same_weight_twice_gets_the_ops_result():
    w, g1, g2 = (np.random.default_rng(3).standard_normal(4).astype("float32")
                 for _ in range(3))
    kwargs = dict(num_weights=2, lrs=(0.5, 0.25), wds=(0.0, 0.0))
    weight = nd.array(w)
    want = getattr(nd, "multi_sgd_update")(nd.array(w), nd.array(g1), nd.array(w), nd.array(g2),
                                            **kwargs)[1].asnumpy()
    multi_update("multi_sgd_update", [weight, nd.array(g1), weight, nd.array(g2)],
                 [weight, weight], kwargs)
    assert weight.asnumpy().tobytes() == want.tobytes()


def test_profiled_runs_go_through_the_op(monkeypatch):
    calls = []

    def hook(op, attrs, inputs, ctx, outs, eng, idle, size):
        calls.append(op.name)
        return invoke._run_inline(op, attrs, inputs, ctx, outs)
    monkeypatch.setattr(invoke, "_profiler_hook", hook)
    weight, grad = nd.ones((3,)), nd.ones((3,))
    multi_update("multi_sgd_update", [weight, grad], [weight],
                 dict(num_weights=1, lrs=(0.5,), wds=(0.0,)))
    assert calls[-1:] == ["multi_sgd_update"]
    assert weight.asnumpy().tolist() == [0.5, 0.5, 0.5]


def test_bad_arguments_raise_mxnet_error():
    weight, grad = nd.ones((3,)), nd.ones((4,))
    with pytest.raises(mx.base.MXNetError, match="multi_sgd_update"):
        multi_update("multi_sgd_update", [weight, grad], [weight],
                     dict(num_weights=1, lrs=(0.5,), wds=(0.0,)))
    with pytest.raises(mx.base.MXNetError, match="lrs"):
        multi_update("multi_sgd_update", [weight, nd.ones((3,))], [weight],
                     dict(num_weights=1, lrs=(0.5, 0.1), wds=(0.0,)))


def test_pushed_update_is_ordered_and_in_place(monkeypatch):
    """Under a threaded engine, inputs still being written push the update;
    it runs after their writer and before later readers."""
    old = mx.engine.set_engine("ThreadedEnginePerDevice")
    try:
        eng = mx.engine.get()
        pushed = []
        real_push = eng.push

        def push(fn, ctx, read_vars=(), write_vars=(), name=None):
            pushed.append(name)
            return real_push(fn, ctx, read_vars, write_vars, name)
        monkeypatch.setattr(eng, "push", push)
        monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 16)  # every op here is pushed
        w = np.random.default_rng(4).standard_normal((8, 8)).astype("float32")
        weight = nd.array(w)
        buffer = weight._data
        grad = nd.array(w) * 2  # pending until the engine runs it
        multi_update("multi_sgd_update", [weight, grad], [weight],
                     dict(num_weights=1, lrs=(0.25,), wds=(0.0,)))
        after = weight * 1
        assert "multi_sgd_update" in pushed
        assert np.array_equal(after.asnumpy(), w - np.float32(0.25) * (w * 2))
        assert weight._data is buffer
    finally:
        mx.engine.set_engine(old)
