"""Speed paths of compiled oneDNN inference that must not change results:
inner products on weights packed once into oneDNN's layout, and primitive
descriptors made from temporary memory descriptors. Skipped without the
oneDNN library."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.backends import dnnl
from mxnet.gluon import nn

pytestmark = pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed")
RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def small_calls_use_onednn(monkeypatch):
    """The nets are tiny; let them through oneDNN's size thresholds."""
    if dnnl.available:
        from mxnet.backends.dnnl import overrides
        monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)
        monkeypatch.setattr(overrides, "MIN_WORK", 0)
        monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")


@pytest.fixture
def packs(monkeypatch):
    """The impl name of each primitive that packed a constant input."""
    from mxnet.backends.dnnl import primitive
    seen = []
    pack = primitive.Primitive.pack

    def counting(self, arg, a):
        out = pack(self, arg, a)
        seen.append(None if out is None else self.impl_name())
        return out
    monkeypatch.setattr(primitive.Primitive, "pack", counting)
    return seen


def _mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(24, activation="relu"), nn.Dense(5, activation="tanh"))
    net.initialize(mx.init.Xavier())
    return net


def _imperative(net, x):
    net.hybridize(False)
    try:
        return net(x).asnumpy()
    finally:
        net.hybridize()


@pytest.mark.parametrize("rows", [8, 1])
def test_fused_inner_product_packs_weights_once_from_several_rows(packs, rows):
    net = _mlp()
    x = mx.nd.array(RNG.standard_normal((rows, 3, 4, 4)))
    expected = _imperative(net, x)
    net.hybridize()
    with mx.backends.count_kernels() as counts:
        first = net(x).asnumpy()
    assert counts[("_sg_mkldnn_fully_connected", "onednn")] == 2
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)
    from mxnet.backends.dnnl import fused
    if rows >= fused.PACKED_MIN_ROWS:
        assert len(packs) == 2 and all(p is not None and "gemm:jit" not in p for p in packs)
    else:  # one row: the matrix-vector product on the plain weights
        assert packs == []
    np.testing.assert_array_equal(net(x).asnumpy(), first)
    assert len(packs) == (2 if rows >= fused.PACKED_MIN_ROWS else 0)
    net[0].weight.data()[:] = 0.05  # a written weight is packed again
    np.testing.assert_allclose(net(x).asnumpy(), _imperative(net, x), rtol=1e-5, atol=1e-6)
    assert len(packs) == (3 if rows >= fused.PACKED_MIN_ROWS else 0)


def test_descriptors_passed_as_temporaries_live_through_the_call():
    from mxnet.backends.dnnl import library as L
    from mxnet.backends.dnnl import primitive as P
    x, w = np.zeros((16, 64), np.float32), np.zeros((32, 64), np.float32)
    y = np.zeros((16, 32), np.float32)
    for _ in range(3):  # the descriptors below have no other reference
        pd = P.create_pd("inner_product_forward", L.FORWARD_INFERENCE,
                         P.strided_md(*P.layout(x)), P.tag_md(w.shape), None,
                         P.strided_md(*P.layout(y)), P.Attr((("eltwise", L.ELTWISE_RELU, 0.0, 0.0),)))
        P.destroy_pd(pd)


def test_pooled_buffer_is_reused_only_once_nothing_refers_to_it():
    from mxnet.backends.dnnl import primitive as P
    P.release_buffers()
    shape = (P.POOL_MIN_BYTES // 4,)
    a = P.empty(shape)
    address = a.ctypes.data
    b = P.empty(shape)
    assert b.ctypes.data != address  # ``a`` is still in use
    view = a[10:]
    del a
    assert P.empty(shape).ctypes.data != address  # its view holds it
    del view
    c = P.empty(shape)
    assert c.ctypes.data == address and c.ctypes.data % 64 == 0
    small = P.empty((4,))
    assert small.shape == (4,) and small.dtype == np.float32


def test_outputs_held_by_the_caller_survive_later_runs():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, 3, padding=1, activation="relu"), nn.MaxPool2D(2, 2),
            nn.Conv2D(16, 3, padding=1, activation="relu"), nn.Conv2D(16, 3, padding=1))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    xs = [mx.nd.array(RNG.standard_normal((2, 3, 64, 64))) for _ in range(3)]
    outs = [net(x) for x in xs]  # each output is large enough to be pooled
    held = [o.asnumpy().copy() for o in outs]
    for _ in range(2):
        for x in xs:
            net(x).wait_to_read()
    for o, h, x in zip(outs, held, xs):
        np.testing.assert_array_equal(o.asnumpy(), h)
        np.testing.assert_allclose(h, _imperative(net, x), rtol=1e-4, atol=1e-5)


class _Block(nn.HybridBlock):
    """conv-bn-relu, conv-bn, + shortcut, relu; ``reread`` adds the block
    input once more afterwards, so the sum is not its last reader."""

    def __init__(self, channels, reread=False, **kwargs):
        super().__init__(**kwargs)
        self.reread = reread
        self.c1, self.b1 = nn.Conv2D(channels, 3, padding=1, use_bias=False), nn.BatchNorm()
        self.c2, self.b2 = nn.Conv2D(channels, 3, padding=1, use_bias=False), nn.BatchNorm()

    def hybrid_forward(self, F, x):
        h = F.Activation(self.b1(self.c1(x)), act_type="relu")
        y = F.Activation(self.b2(self.c2(h)) + x, act_type="relu")
        return y + x if self.reread else y


def _residual_net(reread):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, 3, padding=1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            _Block(16), _Block(16, reread), nn.Conv2D(8, 1))
    net.initialize(mx.init.Xavier())
    return net


@pytest.mark.parametrize("reread", [False, True])
def test_residual_sum_writes_over_its_input_only_when_nothing_reads_it_later(monkeypatch,
                                                                           reread):
    from mxnet.backends.dnnl.primitive import Blocked
    copies = []
    copy = Blocked.copy
    monkeypatch.setattr(Blocked, "copy", lambda self: copies.append(self) or copy(self))
    net = _residual_net(reread)
    x = mx.nd.array(RNG.standard_normal((2, 3, 10, 10)))
    expected = _imperative(net, x)
    net.hybridize()
    for _ in range(2):
        np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    program, = net._cached_op._programs.values()
    sums = [s for s in program._inference_plan().steps
            if s.op.name == "_sg_mkldnn_conv" and s.attrs.with_sum]
    assert len(sums) == 2
    donated = [bool(s.donated) for s in sums]
    # the second block's input is read again after its sum when ``reread``
    assert donated == ([True, False] if reread else [True, True])
    # Blocked sums were added into their inputs, not into copies (the reread
    # input is plain: a NumPy reader follows)
    assert copies == []


def test_fused_convolutions_follow_changing_input_shapes():
    net = _residual_net(False)
    xs = [mx.nd.array(RNG.standard_normal((n, 3, size, size)))
          for n, size in ((2, 10), (3, 12), (2, 10))]
    expected = [_imperative(net, x) for x in xs]
    net.hybridize()
    for x, want in zip(xs, expected):
        np.testing.assert_allclose(net(x).asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_convolutions_with_equal_parameters_keep_their_own_call_plans(monkeypatch):
    # Two layers with the same hyper-parameters share one parsed attrs object
    # (AlexNet's last two convolutions); each keeps its plan across runs.
    from mxnet.backends.dnnl import fused
    net = nn.HybridSequential()
    net.add(nn.Conv2D(8, 3, padding=1, activation="relu"),
            nn.Conv2D(8, 3, padding=1, activation="relu"))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(RNG.standard_normal((1, 4, 9, 9)))
    expected = _imperative(net, x)
    net.hybridize()
    net(x).wait_to_read()
    built = []
    geometry = fused.Geometry
    monkeypatch.setattr(fused, "Geometry", lambda *a: built.append(a) or geometry(*a))
    for _ in range(3):
        with mx.backends.count_kernels() as counts:
            np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)
        assert counts[("_sg_mkldnn_conv", "onednn")] == 2
    assert built == []


def test_small_pooling_of_blocked_data_stays_on_onednn(monkeypatch):
    # 4 x 8 x 12 x 12 = 4608 elements, below the size at which plain data
    # goes to oneDNN: blocked data pools there instead of being converted back.
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 1 << 16)
    net = nn.HybridSequential()
    net.add(nn.Conv2D(8, 3, padding=1, activation="relu"), nn.MaxPool2D(2), nn.Flatten())
    net.initialize()
    x = mx.nd.array(np.random.default_rng(3).random((4, 3, 12, 12), dtype=np.float32))
    expected = net(x).asnumpy()
    net.hybridize()
    net(x)
    with mx.backends.count_kernels() as counts:
        got = net(x).asnumpy()
    assert counts[("Pooling", "onednn")] and not counts[("Pooling", "default")], counts
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
