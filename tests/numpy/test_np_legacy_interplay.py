"""Where the NumPy front end meets the legacy one: autograd.grad and legacy
creation under NumPy shape semantics."""
import pytest

import mxnet as mx
from mxnet import autograd, np


def test_autograd_grad_of_np_variables_gives_np_arrays():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    (g,) = autograd.grad(y, [x])
    assert type(g) is np.ndarray
    assert g.asnumpy().tolist() == [2.0, 4.0]


def test_autograd_grad_of_legacy_variables_stays_legacy():
    a = mx.nd.array([1.0, 2.0])
    a.attach_grad()
    with autograd.record():
        b = (a * a).sum()
    (g,) = autograd.grad(b, [a])
    assert type(g) is mx.nd.NDArray


def test_legacy_creation_of_a_scalar_shape_needs_np_shape():
    with mx.util.np_shape(True):
        assert mx.nd.ones(()).shape == ()
        assert mx.nd.zeros(()).asnumpy() == 0
    with pytest.raises(mx.base.MXNetError, match="shape"):
        mx.nd.ones(())


def test_np_gradient_buffers_can_be_handed_over_like_legacy_ones():
    # autograd adopts a fresh gradient's buffer as .grad's data when nothing
    # else sees it; mx.np arrays qualify as legacy dense arrays do.
    from mxnet.autograd import _take_buffer
    target = np.zeros((4, 4))
    fresh = np.ones((4, 4)) * 3
    data_id = id(fresh._data)  # (a reference would make the buffer look shared)
    assert _take_buffer(target, fresh)
    assert id(target._data) == data_id
    assert not _take_buffer(mx.nd.zeros((4, 4)).tostype("row_sparse"), np.ones((4, 4)))


def test_np_symbols_are_named_after_their_function_as_in_mxnet():
    x = mx.sym.var("x").as_np_ndarray()
    y = mx.sym.var("y").as_np_ndarray()
    with mx.name.NameManager():
        assert mx.sym.np.dot(x, y).name == "dot0"
        assert (x + y).name == "add0"
        assert mx.sym.np.exp(x).name == "exp0"
        assert (x * 2).name == "multiply_scalar0"


def test_creation_functions_build_graph_nodes_in_hybridized_np_blocks():
    class AddRange(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + F.np.arange(4) + F.np.ones((4,)) + F.np.zeros((1, 4))

    mx.npx.set_np()
    try:
        block = AddRange()
        x = np.ones((2, 4))
        imperative = block(x)
        block.hybridize()
        hybridized = block(x)
    finally:
        mx.npx.reset_np()
    expected = [[2.0, 3.0, 4.0, 5.0]] * 2
    assert imperative.asnumpy().tolist() == expected
    assert hybridized.asnumpy().tolist() == expected
    assert type(hybridized) is np.ndarray
    zeros = mx.sym.np.zeros((2, 3))
    assert isinstance(zeros, mx.sym.np._Symbol) and zeros.name.startswith("zeros")


def test_graphs_written_under_np_shape_are_marked_as_mxnet_marks_them():
    x = mx.sym.var("x")
    legacy_tail = '"attrs": {"mxnet_version": ["int", 10901]}\n}'
    np_tail = ('"attrs": {\n    "is_np_shape": ["int", 1], \n'
               '    "mxnet_version": ["int", 10901]\n  }\n}')
    assert (x + 1).tojson().endswith(legacy_tail)
    with mx.util.np_shape(True):
        assert (x + 1).tojson().endswith(np_tail)
        assert mx.sym.load_json((x + 1).tojson()).list_arguments() == ["x"]


def test_multi_tensor_updates_take_the_in_place_path_for_np_parameters():
    from mxnet.optimizer.in_place import _direct
    assert _direct([np.ones((2,)), np.ones((2,))])
    assert not _direct([np.ones((2,)), mx.nd.ones((2,)).tostype("row_sparse")])


def test_hybridized_np_backward_replaces_gradients_with_the_right_values(monkeypatch):
    # Under npx.set_np() the parameters are mx.np arrays; the hybridized
    # backward adopts each new gradient as .grad's data, as in legacy mode.
    from mxnet import cached_op
    taken = []
    original = cached_op._grad_targets

    def counting(*args, **kwargs):
        targets = original(*args, **kwargs)
        taken.append(len(targets))
        return targets
    monkeypatch.setattr(cached_op, "_grad_targets", counting)
    mx.npx.set_np()
    try:
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Dense(8, activation="relu", in_units=4), mx.gluon.nn.Dense(3, in_units=8))
        net.initialize(mx.init.Xavier())
        x = np.random.uniform(size=(5, 4))
        params = list(net.collect_params().values())
        with autograd.record():
            expected = autograd.grad(net(x).sum(), [p.data() for p in params])
        net.hybridize(static_alloc=True, static_shape=True)
        for _ in range(2):
            with autograd.record():
                loss = net(x).sum()
            loss.backward()
            for p, e in zip(params, expected):
                assert type(p.grad()) is np.ndarray
                assert abs(p.grad().asnumpy() - e.asnumpy()).max() < 1e-5
    finally:
        mx.npx.reset_np()
    assert taken and taken[-1] == len(params)  # every parameter's gradient adopted


def test_legacy_indexing_of_one_element_is_zero_d_under_np_shape():
    v = mx.nd.array([1.0, 2.0])
    m = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert v[0].shape == (1,) and m[1, 1].shape == (1,)  # MXNet 1.x shapes
    with mx.util.np_shape(True):
        assert v[0].shape == () and v[-1].shape == () and m[1, 1].shape == ()
        assert m[0].shape == (2,)
        v.attach_grad()
        with autograd.record():
            element = v[1]
        element.backward()
        assert element.shape == () and v.grad.asnumpy().tolist() == [0.0, 1.0]
