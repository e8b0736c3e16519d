"""Control flow: mx.nd.contrib / mx.sym.contrib foreach, while_loop and cond,
forward and gradients, against MXNet 1.9.1 fixtures."""
import os
import re

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ndarray import contrib_control_flow as ndcf
from mxnet.symbol import contrib_control_flow as symcf

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "ops", "misc_ops.npz"))
NAMES = ("data", "h0", "wx", "wh")


def rnn_step(F, wx, wh):
    def body(x, states):
        h = F.tanh(F.FullyConnected(x, wx, num_hidden=5, no_bias=True)
                   + F.FullyConnected(states[0], wh, num_hidden=5, no_bias=True))
        return h, [h]
    return body


def test_foreach_rnn_imperative_forward_and_gradients_match_mxnet():
    nd = {k: mx.nd.array(FIXTURE[f"foreach_{k}"]) for k in NAMES}
    for v in nd.values():
        v.attach_grad()
    with mx.autograd.record():
        outs, states = ndcf.foreach(rnn_step(mx.nd, nd["wx"], nd["wh"]), nd["data"], [nd["h0"]])
        loss = (outs * mx.nd.array(FIXTURE["foreach_head"])).sum() + states[0].sum()
    loss.backward()
    np.testing.assert_allclose(outs.asnumpy(), FIXTURE["foreach_imperative_out"], rtol=1e-5,
                               atol=1e-6)
    for k, v in nd.items():
        np.testing.assert_allclose(v.grad.asnumpy(), FIXTURE[f"foreach_imperative_grad_{k}"],
                                   rtol=1e-4, atol=1e-5)


def test_foreach_rnn_symbolic_executor_matches_mxnet():
    syms = {k: mx.sym.var(k) for k in NAMES}
    outs, states = symcf.foreach(rnn_step(mx.sym, syms["wx"], syms["wh"]), syms["data"],
                                 [syms["h0"]])
    group = mx.sym.Group([outs, states[0]])
    assert sorted(group.list_arguments()) == sorted(NAMES)
    names = group.list_outputs()
    assert re.fullmatch(r"_foreach\d+_output0", names[0]) and names[1] == names[0][:-1] + "1"
    arrays = {k: mx.nd.array(FIXTURE[f"foreach_{k}"]) for k in NAMES}
    ex = group.bind(mx.cpu(), arrays, args_grad={k: mx.nd.zeros(v.shape) for k, v in arrays.items()})
    res = ex.forward(is_train=True)
    ex.backward([mx.nd.array(FIXTURE["foreach_head"]), mx.nd.ones(res[1].shape)])
    np.testing.assert_allclose(res[0].asnumpy(), FIXTURE["foreach_symbolic_out"], rtol=1e-5,
                               atol=1e-6)
    for k in NAMES:
        np.testing.assert_allclose(ex.grad_dict[k].asnumpy(), FIXTURE[f"foreach_symbolic_grad_{k}"],
                                   rtol=1e-4, atol=1e-5)


def test_foreach_symbol_infers_shapes_from_the_body():
    data, st = mx.sym.var("data"), mx.sym.var("st")
    outs, states = symcf.foreach(lambda x, s: (x * 2, s + x), data, st)
    _, out_shapes, _ = mx.sym.Group([outs, states]).infer_shape(data=(3, 4), st=(4,))
    assert out_shapes == [(3, 4), (4,)]


def test_while_loop_stacks_outputs_and_pads_to_max_iterations():
    def cond(i, a):
        return i < 3

    def func(i, a):
        return [a * 2], [i + 1, a + i]
    out, state = ndcf.while_loop(cond, func, [mx.nd.array([0]), mx.nd.ones((2,))],
                                 max_iterations=5)
    np.testing.assert_allclose(out[0].asnumpy(), [[2, 2], [2, 2], [4, 4], [0, 0], [0, 0]])
    np.testing.assert_allclose(state[0].asnumpy(), [3])
    np.testing.assert_allclose(state[1].asnumpy(), [4, 4])


def test_while_loop_gradient_flows_through_iterations():
    x = mx.nd.array([1.5])
    x.attach_grad()
    with mx.autograd.record():
        _, (i, y) = ndcf.while_loop(lambda i, y: i < 3, lambda i, y: (None, [i + 1, y * x]),
                                    [mx.nd.array([0]), mx.nd.ones((1,))], max_iterations=10)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [3 * 1.5 ** 2], rtol=1e-6)


def test_cond_picks_a_branch_imperatively_and_symbolically():
    a = mx.nd.array([1.0, 2.0])
    assert ndcf.cond(mx.nd.array([1]), lambda: a * 2, lambda: a - 1).asnumpy().tolist() == [2, 4]
    assert ndcf.cond(mx.nd.array([0]), lambda: a * 2, lambda: a - 1).asnumpy().tolist() == [0, 1]
    s = mx.sym.var("a")
    c = symcf.cond(mx.sym.var("p"), lambda: s * 2, lambda: s - 1)
    for p, want in ((1, [2, 4]), (0, [0, 1])):
        assert c.eval(p=mx.nd.array([p]), a=a)[0].asnumpy().tolist() == want


def test_bad_control_flow_arguments_raise():
    with pytest.raises(MXNetError, match="max_iterations"):
        ndcf.while_loop(lambda x: x < 1, lambda x: (x, x), mx.nd.zeros((1,)))
    with pytest.raises(MXNetError, match="first dimension"):
        ndcf.foreach(lambda x, s: (x, s), [mx.nd.zeros((2, 1)), mx.nd.zeros((3, 1))],
                     mx.nd.zeros((1,)))
    with pytest.raises(MXNetError, match="one element"):
        ndcf.cond(mx.nd.zeros((2,)), lambda: 1, lambda: 0)
    with pytest.raises(MXNetError, match="max_iterations"):
        symcf.while_loop(lambda x: x, lambda x: (x, x), [mx.sym.var("x")])
