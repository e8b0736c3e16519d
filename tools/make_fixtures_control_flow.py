"""Write tests/fixtures/control_flow/ with MXNet 1.9.1 (run with the oracle, from
outside the repository): for each graph built below by mx.sym.contrib
foreach/while_loop/cond, its JSON (``<case>-symbol.json``) and, in
``values.npz``, inputs, head gradients, outputs and argument gradients of a
training forward/backward through ``bind``.

The builders take the ``mxnet`` module so the tests build the same graphs
with MXNext and compare the JSON. MXNet leaves the rows of a while_loop's
outputs after the last step uninitialised, so ``<case>/rows`` records how
many rows are defined (the tests expect zeros after them).
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "control_flow")


def foreach_rnn(mx):
    """Two per-step outputs and two states; an outer result (b * 2) is cut
    into a node input and outer variables are remaining inputs."""
    F = mx.sym
    data, h0, c0, wx, wh, b = (F.var(n) for n in ("data", "h0", "c0", "wx", "wh", "b"))
    bias = b * 2

    def body(x, states):
        h = F.tanh(F.FullyConnected(x, wx, bias, num_hidden=4)
                   + F.FullyConnected(states[0], wh, num_hidden=4, no_bias=True))
        return [h, h * 2], [h, states[1] + F.sum(x)]
    outs, states = F.contrib.foreach(body, data, [h0, c0])
    return F.Group(outs + states)


def while_counter(mx):
    """Four of six iterations; step outputs padded. (MXNet 1.9.1's backward
    fails when an input is read by cond only, so cond reads the loop variable.)"""
    F = mx.sym
    i, acc, w = (F.var(n) for n in ("i", "acc", "w"))
    scale = w * 0.5

    def func(i, acc):
        new = F.broadcast_add(acc * scale, i)
        return [new, F.sqrt(F.abs(new) + 1)], [i + 1, new]
    outs, final = F.contrib.while_loop(lambda i, acc: i < 4, func, [i, acc],
                                       max_iterations=6)
    return F.Group(outs + final)


def cond_branches(mx):
    """Two outputs per branch; the condition and exp(b) come from outside."""
    F = mx.sym
    a, b = F.var("a"), F.var("b")
    c = F.exp(b)
    return F.Group(F.contrib.cond(F.sum(a * b) < 5, lambda: [a * c, b + 1],
                                  lambda: [a - b, F.square(b)]))


def foreach_nested(mx):
    """A foreach inside a foreach body: nested subgraphs. (MXNet 1.9.1 cannot
    infer shapes for a cond or while_loop nested in a foreach.)"""
    F = mx.sym
    data, s = F.var("data"), F.var("s")

    def body(x, st):
        rows, st2 = F.contrib.foreach(lambda r, t: (r * t, t + r), x, st)
        return rows, st2 * 0.5
    out, st = F.contrib.foreach(body, data, s)
    return F.Group([out, st])


# case -> (builder, [argument sets: {name: shape or array}], rows defined per output)
def _cases():
    r = np.random.RandomState(7)

    def rand(*shape):
        return r.uniform(-1, 1, shape).astype("f")
    return {
        "foreach_rnn": (foreach_rnn, [{"data": rand(3, 2, 5), "h0": rand(2, 4), "c0": rand(1),
                                       "wx": rand(4, 5), "wh": rand(4, 4), "b": rand(4)}], None),
        "while_counter": (while_counter, [{"i": np.zeros(1, "f"), "acc": rand(3), "w": rand(3)}], 4),
        "cond_branches": (cond_branches, [{"a": np.array([1, 2], "f"), "b": np.array([1, 1], "f")},
                                          {"a": np.array([3, 2], "f"), "b": np.array([2, 1], "f")}],
                          None),
        "foreach_nested": (foreach_nested, [{"data": rand(4, 3, 2), "s": rand(2)}], None),
    }


CASES = {name: spec[0] for name, spec in _cases().items()}


def main():
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    values = {}
    r = np.random.RandomState(11)
    for name, (build, arg_sets, rows) in _cases().items():
        with mx.name.NameManager():  # names independent of the cases built before
            sym = build(mx)
        with open(os.path.join(OUT, f"{name}-symbol.json"), "w") as f:
            f.write(sym.tojson())
        for k, args in enumerate(arg_sets):
            nd_args = {n: mx.nd.array(v) for n, v in args.items()}
            grads = {n: mx.nd.zeros(v.shape) for n, v in args.items()}
            ex = sym.bind(mx.cpu(), nd_args, args_grad=grads)
            outs = [o.asnumpy() for o in ex.forward(is_train=True)]
            heads = [r.uniform(-1, 1, o.shape).astype("f") for o in outs]
            ex.backward([mx.nd.array(h) for h in heads])
            prefix = f"{name}/{k}/"
            for n, v in args.items():
                values[prefix + "arg_" + n] = v
                values[prefix + "grad_" + n] = ex.grad_dict[n].asnumpy()
            for j, (o, h) in enumerate(zip(outs, heads)):
                if rows is not None and j < len(outs) - 2:  # step outputs of the loop
                    o = o[:rows]
                values[prefix + f"out{j}"] = o
                values[prefix + f"head{j}"] = h
    np.savez_compressed(os.path.join(OUT, "values.npz"), **values)
    print(f"wrote {len(values)} arrays and {len(CASES)} graphs to {OUT}")


if __name__ == "__main__":
    sys.exit(main())
