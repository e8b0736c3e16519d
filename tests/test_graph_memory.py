"""Memory planning: liveness frees intermediates; mirroring trades compute for memory."""
import numpy as np

import mxnet as mx
from mxnet.graph.program import Program


def _deep_net(layers=8, width=64):
    h = mx.sym.var("data")
    for i in range(layers):
        h = mx.sym.FullyConnected(h, num_hidden=width, name=f"fc{i}")
        h = mx.sym.Activation(h, act_type="tanh")
        h = mx.sym.Activation(h * 2 + 1, act_type="sigmoid")
    return mx.sym.sum(h)


def _program(sym, batch, mirror):
    args = sym.list_arguments()
    shapes = dict(zip(args, sym.infer_shape(data=(batch, 64))[0]))
    return Program(sym, shapes, {n: "float32" for n in args}, [a for a in args if a != "data"],
                   mirror=mirror), args, shapes


def _run(program, args, shapes):
    rs = np.random.RandomState(0)
    inputs = {n: rs.uniform(-0.5, 0.5, shapes[n]).astype(np.float32) for n in args}
    outs, state = program.forward([inputs[n] for n in program.input_names], True, True,
                                  mx.cpu(), lambda: np.random.default_rng(0))
    return outs, program.backward(state, [None], mx.cpu(), lambda: np.random.default_rng(0))


def test_inference_frees_intermediates_as_soon_as_they_are_dead():
    program, _, _ = _program(_deep_net(), 256, mirror=False)
    report = program.memory_report()
    assert report["inference_peak"] < report["inference_total"] / 3


def test_training_keeps_less_than_everything_it_computes():
    program, _, _ = _program(_deep_net(), 256, mirror=False)
    report = program.memory_report()
    assert report["training_peak"] < report["training_total"] / 2


def test_mirroring_cuts_training_memory_and_keeps_gradients_equal():
    plain, args, shapes = _program(_deep_net(layers=12), 1024, mirror=False)
    mirrored, _, _ = _program(_deep_net(layers=12), 1024, mirror=True)
    assert mirrored.memory_report()["training_peak"] < \
        0.8 * plain.memory_report()["training_peak"]
    (out_a,), grads_a = _run(plain, args, shapes)
    (out_b,), grads_b = _run(mirrored, args, shapes)
    np.testing.assert_allclose(out_a, out_b, rtol=1e-6)
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_force_mirroring_attribute_selects_nodes_without_the_environment_switch():
    x = mx.sym.var("data")
    h = mx.sym.FullyConnected(x, num_hidden=64, name="fc")
    with mx.AttrScope(force_mirroring="True"):
        h = mx.sym.Activation(h, act_type="tanh")
    net = mx.sym.sum(mx.sym.FullyConnected(h, num_hidden=64, name="fc2"))
    program, _, _ = _program(net, 32, mirror=False)
    assert any(step.name.endswith("_mirror") for step in program.backward_steps)
