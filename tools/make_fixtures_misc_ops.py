"""Write tests/fixtures/ops/misc_ops.npz with MXNet 1.9.1 (run with the oracle, from
outside the repository): a softmax CustomOp trained imperatively and through
simple_bind, foreach RNN loops (forward and gradients, imperative and
symbolic), and the interleaved attention matmuls with gradients."""
import os
import sys

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "ops", "misc_ops.npz")


class Softmax(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], mx.nd.array(y / y.sum(axis=1, keepdims=True)))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().astype(np.int64)
        y = out_data[0].asnumpy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))


@mx.operator.register("fixture_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()


def custom_cases(out):
    r = np.random.RandomState(0)
    x = r.randn(8, 5).astype("f")
    label = r.randint(0, 3, 8).astype("f")
    params = {"w1": r.randn(4, 5).astype("f") * 0.5, "b1": np.zeros(4, "f"),
              "w2": r.randn(3, 4).astype("f") * 0.5, "b2": np.zeros(3, "f")}
    out.update(custom_x=x, custom_label=label, **{f"custom_init_{k}": v for k, v in params.items()})
    lr = 0.1
    nd = {k: mx.nd.array(v) for k, v in params.items()}
    for v in nd.values():
        v.attach_grad()
    for _ in range(3):
        with mx.autograd.record():
            h = mx.nd.relu(mx.nd.FullyConnected(mx.nd.array(x), nd["w1"], nd["b1"], num_hidden=4))
            y = mx.nd.FullyConnected(h, nd["w2"], nd["b2"], num_hidden=3)
            p = mx.nd.Custom(y, mx.nd.array(label), op_type="fixture_softmax")
        p.backward()
        for v in nd.values():
            v[:] = v - lr * v.grad
    out["custom_imperative_prob"] = p.asnumpy()
    out.update({f"custom_imperative_{k}": v.asnumpy() for k, v in nd.items()})
    data = mx.sym.var("data")
    net = mx.sym.relu(mx.sym.FullyConnected(data, name="fc1", num_hidden=4))
    net = mx.sym.FullyConnected(net, name="fc2", num_hidden=3)
    net = mx.sym.Custom(net, name="softmax", op_type="fixture_softmax")
    ex = net.simple_bind(mx.cpu(), data=(8, 5))
    names = {"w1": "fc1_weight", "b1": "fc1_bias", "w2": "fc2_weight", "b2": "fc2_bias"}
    for k, n in names.items():
        ex.arg_dict[n][:] = params[k]
    ex.arg_dict["data"][:] = x
    ex.arg_dict["softmax_label"][:] = label
    for _ in range(3):
        ex.forward(is_train=True)
        ex.backward()
        for n in names.values():
            ex.arg_dict[n][:] = ex.arg_dict[n] - lr * ex.grad_dict[n]
    out["custom_symbolic_prob"] = ex.outputs[0].asnumpy()
    out.update({f"custom_symbolic_{k}": ex.arg_dict[n].asnumpy() for k, n in names.items()})


def rnn_step(F, wx, wh):
    def body(x, states):
        h = F.tanh(F.FullyConnected(x, wx, num_hidden=5, no_bias=True)
                   + F.FullyConnected(states[0], wh, num_hidden=5, no_bias=True))
        return h, [h]
    return body


def foreach_cases(out):
    r = np.random.RandomState(1)
    arrays = {"data": r.randn(4, 2, 3), "h0": r.randn(2, 5), "wx": r.randn(5, 3) * 0.5,
              "wh": r.randn(5, 5) * 0.5}
    arrays = {k: v.astype("f") for k, v in arrays.items()}
    head = r.rand(4, 2, 5).astype("f")
    out.update({f"foreach_{k}": v for k, v in arrays.items()}, foreach_head=head)
    nd = {k: mx.nd.array(v) for k, v in arrays.items()}
    for v in nd.values():
        v.attach_grad()
    with mx.autograd.record():
        outs, states = mx.nd.contrib.foreach(rnn_step(mx.nd, nd["wx"], nd["wh"]), nd["data"],
                                             [nd["h0"]])
        loss = (outs * mx.nd.array(head)).sum() + states[0].sum()
    loss.backward()
    out["foreach_imperative_out"] = outs.asnumpy()
    out.update({f"foreach_imperative_grad_{k}": v.grad.asnumpy() for k, v in nd.items()})
    syms = {k: mx.sym.var(k) for k in arrays}
    souts, sstates = mx.sym.contrib.foreach(rnn_step(mx.sym, syms["wx"], syms["wh"]),
                                           syms["data"], [syms["h0"]])
    group = mx.sym.Group([souts, sstates[0]])
    ex = group.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in arrays.items()},
                    args_grad={k: mx.nd.zeros(v.shape) for k, v in arrays.items()})
    res = ex.forward(is_train=True)
    ex.backward([mx.nd.array(head), mx.nd.ones(res[1].shape)])
    out["foreach_symbolic_out"] = res[0].asnumpy()
    out.update({f"foreach_symbolic_grad_{k}": ex.grad_dict[k].asnumpy() for k in arrays})


def attention_cases(out):
    r = np.random.RandomState(2)
    L, Lq, B, H, D = 3, 4, 2, 2, 3
    cases = {
        "selfatt_qk": [r.randn(L, B, 3 * H * D)],
        "selfatt_valatt": [r.randn(L, B, 3 * H * D), r.rand(B * H, L, L)],
        "encdec_qk": [r.randn(Lq, B, H * D), r.randn(L, B, 2 * H * D)],
        "encdec_valatt": [r.randn(L, B, 2 * H * D), r.rand(B * H, Lq, L)],
    }
    for name, inputs in cases.items():
        xs = [mx.nd.array(a.astype("f")) for a in inputs]
        for x in xs:
            x.attach_grad()
        fn = getattr(mx.nd.contrib, f"interleaved_matmul_{name}")
        with mx.autograd.record():
            y = fn(*xs, heads=H)
        head = r.rand(*y.shape).astype("f")
        y.backward(mx.nd.array(head))
        for i, a in enumerate(inputs):
            out[f"att_{name}_in{i}"] = a.astype("f")
            out[f"att_{name}_grad{i}"] = xs[i].grad.asnumpy()
        out[f"att_{name}_out"] = y.asnumpy()
        out[f"att_{name}_head"] = head


def main():
    if "site-packages" not in mx.__file__:
        sys.exit("run this with real MXNet 1.9.1, from outside the repository")
    out = {}
    custom_cases(out)
    foreach_cases(out)
    attention_cases(out)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
