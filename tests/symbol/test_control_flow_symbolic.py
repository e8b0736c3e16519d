"""Symbolic control flow: _foreach/_while_loop/_cond nodes built by
mx.sym.contrib, loaded from MXNet 1.9.1 JSON, run by executors and
hybridized blocks, against MXNet 1.9.1 fixtures (tools/make_fixtures_control_flow.py)."""
import importlib.util
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "control_flow")
VALUES = np.load(os.path.join(FIXTURES, "values.npz"))
_spec = importlib.util.spec_from_file_location(
    "make_fixtures_control_flow", os.path.join(HERE, "..", "..", "tools",
                                               "make_fixtures_control_flow.py"))
BUILDERS = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(BUILDERS)
CASES = sorted(BUILDERS.CASES)


def _fixture_sets(case):
    """[(arguments, head gradients, outputs, gradients)] for each argument set."""
    sets = []
    k = 0
    while f"{case}/{k}/out0" in VALUES:
        prefix = f"{case}/{k}/"
        pick = {key[len(prefix):]: VALUES[key] for key in VALUES.files if key.startswith(prefix)}
        args = {n[4:]: v for n, v in pick.items() if n.startswith("arg_")}
        n_out = sum(1 for n in pick if n.startswith("out"))
        sets.append((args, [pick[f"head{j}"] for j in range(n_out)],
                     [pick[f"out{j}"] for j in range(n_out)],
                     {n: pick["grad_" + n] for n in args}))
        k += 1
    return sets


def _check_against_fixture(sym, case):
    for args, heads, outs, grads in _fixture_sets(case):
        ex = sym.bind(mx.cpu(), {n: mx.nd.array(v) for n, v in args.items()},
                      args_grad={n: mx.nd.zeros(v.shape) for n, v in args.items()})
        got = [o.asnumpy() for o in ex.forward(is_train=True)]
        ex.backward([mx.nd.array(h) for h in heads])
        assert len(got) == len(outs)
        for g, want in zip(got, outs):
            # MXNet leaves while_loop rows after the last step undefined; here they are 0.
            np.testing.assert_allclose(g[:len(want)], want, rtol=1e-5, atol=1e-6)
            assert not g[len(want):].any()
        for n, want in grads.items():
            np.testing.assert_allclose(ex.grad_dict[n].asnumpy(), want, rtol=1e-4, atol=1e-5,
                                       err_msg=n)


def _mxnet_json(case):
    with open(os.path.join(FIXTURES, f"{case}-symbol.json")) as f:
        return f.read()


def _json_keeps_subgraphs():
    out, state = mx.sym.contrib.foreach(lambda x, s: (x * s, s + x), mx.sym.var("x"),
                                        mx.sym.var("s"))
    return '"subgraphs"' in mx.sym.Group([out, state]).tojson()


needs_json_subgraphs = pytest.mark.skipif(
    not _json_keeps_subgraphs(),
    reason="mxnet/symbol/json_io.py does not read or write node subgraphs yet")


@pytest.mark.parametrize("case", CASES)
def test_graphs_built_here_compute_mxnets_outputs_and_gradients(case):
    _check_against_fixture(BUILDERS.CASES[case](mx), case)


@needs_json_subgraphs
@pytest.mark.parametrize("case", CASES)
def test_mxnet_json_with_control_flow_nodes_loads_and_runs(case):
    _check_against_fixture(mx.sym.load_json(_mxnet_json(case)), case)


def _structure(text):
    """A JSON graph without what depends on process-wide counters (the
    ``__subgraph_name__`` scope names)."""
    def clean(doc):
        for node in doc["nodes"]:
            attrs = node.get("attrs", {})
            attrs.pop("__subgraph_name__", None)
            if not attrs:
                node.pop("attrs", None)
            for sub in node.get("subgraphs", ()):
                clean(sub)
        return doc
    return clean(json.loads(text))


@needs_json_subgraphs
@pytest.mark.parametrize("case", CASES)
def test_json_of_graphs_built_here_is_mxnets(case):
    with mx.name.NameManager():
        sym = BUILDERS.CASES[case](mx)
    assert _structure(sym.tojson()) == _structure(_mxnet_json(case))
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()


def test_while_loop_shapes_are_inferred_with_max_iterations_rows():
    i, a = mx.sym.var("i"), mx.sym.var("a")
    outs, final = mx.sym.contrib.while_loop(lambda i, a: i < 3,
                                            lambda i, a: ([a * 2, i], [i + 1, a]), [i, a],
                                            max_iterations=7)
    _, shapes, _ = mx.sym.Group(outs + final).infer_shape(i=(1,), a=(2, 3))
    assert shapes == [(7, 2, 3), (7, 1), (1,), (2, 3)]
    _, types, _ = mx.sym.Group(outs + final).infer_type(i="float32", a="float64")
    assert types == [np.float64, np.float32, np.float32, np.float64]


def test_while_loop_that_never_runs_gives_zero_rows_and_the_initial_values():
    i = mx.sym.var("i")
    outs, final = mx.sym.contrib.while_loop(lambda i: i < 3, lambda i: (i * 2, i + 1), i,
                                            max_iterations=4)
    res = mx.sym.Group([outs, final]).eval(i=mx.nd.array([5.0]))
    assert res[0].asnumpy().tolist() == [[0], [0], [0], [0]]
    assert res[1].asnumpy().tolist() == [5]


def test_while_loop_reading_an_input_only_in_cond_gives_it_zero_gradient():
    i, limit = mx.sym.var("i"), mx.sym.var("limit")
    _, final = mx.sym.contrib.while_loop(lambda i: i < limit, lambda i: ([], i * 2), i,
                                         max_iterations=10)
    args = {"i": mx.nd.array([1.0]), "limit": mx.nd.array([5.0])}
    grads = {k: mx.nd.ones((1,)) for k in args}
    ex = final.bind(mx.cpu(), args, args_grad=grads)
    assert ex.forward(is_train=True)[0].asnumpy().tolist() == [8]
    ex.backward(mx.nd.ones((1,)))
    assert grads["i"].asnumpy().tolist() == [8] and grads["limit"].asnumpy().tolist() == [0]


class _Counted(mx.operator.CustomOp):
    """Identity that counts its forward calls."""
    calls = 0

    def forward(self, is_train, req, in_data, out_data, aux):
        _Counted.calls += 1
        self.assign(out_data[0], req[0], in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0])


@mx.operator.register("cf_counted")
class _CountedProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return _Counted()


def test_cond_runs_only_the_chosen_branch():
    x = mx.sym.var("x")
    out = mx.sym.contrib.cond(mx.sym.sum(x) > 0, lambda: x * 3,
                              lambda: mx.sym.Custom(x, op_type="cf_counted") + 1)
    before = _Counted.calls
    assert out.eval(x=mx.nd.array([1.0, 2.0]))[0].asnumpy().tolist() == [3, 6]
    assert _Counted.calls == before
    assert out.eval(x=mx.nd.array([-1.0, 0.0]))[0].asnumpy().tolist() == [0, 1]
    assert _Counted.calls == before + 1


def test_branches_reading_variables_named_alike_share_one_input():
    # as in MXNet 1.9.1: variables are matched by name across the subgraphs
    out = mx.sym.contrib.cond(mx.sym.var("p") > 0, lambda: mx.sym.var("a") * 2,
                              lambda: mx.sym.var("a") + 1)
    node = json.loads(out.tojson())["nodes"][-1]
    assert out.list_inputs() == ["p", "a"] and len(node["inputs"]) == 2
    assert [node["attrs"][k] for k in ("num_args", "then_input_locs", "else_input_locs")] == \
        ["5", "[1]", "[1]"]
    got = out.eval(p=mx.nd.array([-1.0]), a=mx.nd.array([2.0]))[0]
    assert got.asnumpy().tolist() == [3.0]


class _Collatz(mx.gluon.HybridBlock):
    """Halves or scales x while its sum exceeds 1, at most 5 times."""

    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.w = self.params.get("w", shape=(3,), init=mx.init.Constant(0.4))

    def hybrid_forward(self, F, x, w):
        def step(x):
            y = F.contrib.cond(F.sum(x) > 2, lambda: x * w, lambda: x * 0.9)
            return y, y
        outs, last = F.contrib.while_loop(lambda x: F.sum(x) > 1, step, x, max_iterations=5)
        return outs, last


def test_hybridized_block_with_while_loop_and_cond_matches_imperative_run():
    results = []
    for hybridize in (False, True):
        net = _Collatz()
        net.initialize()
        if hybridize:
            net.hybridize()
        x = mx.nd.array([3.0, 1.0, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            outs, last = net(x)
            loss = (outs * mx.nd.arange(15).reshape((5, 3))).sum() + last.sum()
        loss.backward()
        results.append((outs.asnumpy(), last.asnumpy(), x.grad.asnumpy(),
                        net.w.grad().asnumpy()))
    for eager, hybrid in zip(*results):
        np.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-6)


def test_bad_control_flow_graphs_raise():
    x = mx.sym.var("x")
    with pytest.raises(MXNetError, match="use every data input"):
        mx.sym.contrib.foreach(lambda d, s: (s * 2, s + 1), x, mx.sym.var("s"))
    with pytest.raises(MXNetError, match="does not use loop variable 1"):
        mx.sym.contrib.while_loop(lambda i, a: i < 1, lambda i, a: ([], [i + 1, i * 2]),
                                  [x, mx.sym.var("a")], max_iterations=2)
    outs, _ = mx.sym.contrib.while_loop(lambda i: i < 3, lambda i: (i, i + 1), x,
                                        max_iterations=3)
    node = outs._outputs[0][0]
    no_steps, _ = mx.sym.contrib.while_loop(lambda i: i < 3, lambda i: (i, i + 1), x,
                                            max_iterations=0)
    with pytest.raises(MXNetError, match="max_iterations must be at least 1"):
        no_steps.eval(x=mx.nd.zeros((1,)))
    bad = dict(node.attrs, func_var_locs="[3]")
    with pytest.raises(MXNetError, match="func_var_locs"):
        mx.sym.Symbol([(type(node)(node.op, "bad", bad, node.inputs), 0)]) \
            .eval(x=mx.nd.zeros((1,)))
    grow = mx.sym.contrib.while_loop(lambda i: mx.sym.sum(i) < 3,
                                     lambda i: ([], mx.sym.concat(i, i, dim=0)), x,
                                     max_iterations=3)[1]
    with pytest.raises(MXNetError, match="keep its shape"):
        grow.eval(x=mx.nd.zeros((1,)))[0].asnumpy()
    pred = mx.sym.contrib.cond(x > 0, lambda: x + 1, lambda: x - 1)
    with pytest.raises(MXNetError, match="one element"):
        pred.eval(x=mx.nd.ones((2,)))[0].asnumpy()
