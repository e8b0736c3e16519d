"""Write tests/fixtures/ops/nn_rnn.npz with MXNet 1.9.1's outputs and
gradients of the fused ``RNN`` operator (run with the oracle's interpreter,
from a directory outside this repository so ``import mxnet`` is the real one):

    cd /tmp && /path/to/.venv-ref/bin/python /path/to/tools/make_fixtures_nn_rnn.py OUT.npz

The ``meta`` entry (JSON) gives, per case, its kwargs and the shapes of its
inputs (``in``), outputs (``out``, all states: state_outputs=True), head
gradients fed to backward (``head``) and input gradients (``grad``); the
entry named after the case holds all those arrays flattened, in that order.
Sizes are tiny so the file stays a few KB. MXNet's CPU kernel ignores
dropout, clipping and sequence lengths, so those are not recorded here, and
it cannot train LSTM with a projection, so those cases have no gradients.
"""
import json
import sys

import mxnet as mx
import numpy as np

T, N, C, H = 3, 2, 2, 3
rng = np.random.default_rng(7)

CASES = [
    ("rnn_tanh", {"mode": "rnn_tanh", "num_layers": 1}),
    ("rnn_relu_bi_2layer", {"mode": "rnn_relu", "num_layers": 2, "bidirectional": True}),
    ("lstm", {"mode": "lstm", "num_layers": 1}),
    ("lstm_bi_2layer", {"mode": "lstm", "num_layers": 2, "bidirectional": True}),
    ("lstm_projection", {"mode": "lstm", "num_layers": 2, "projection_size": 2}),
    ("lstm_projection_bi", {"mode": "lstm", "num_layers": 1, "bidirectional": True,
                            "projection_size": 3}),
    ("gru", {"mode": "gru", "num_layers": 1}),
    ("gru_bi_2layer", {"mode": "gru", "num_layers": 2, "bidirectional": True}),
]


def run(name, kwargs, meta, store):
    kwargs = dict(kwargs, state_size=H, state_outputs=True)
    names = ["data", "params", "state"] + (["cell"] if kwargs["mode"] == "lstm" else [])
    sym = mx.sym.RNN(*[mx.sym.var(n) for n in names], **kwargs)
    arg_shapes, _, _ = sym.infer_shape(data=(T, N, C))
    scales = [1.0, 0.6, 1.0, 1.0]
    inputs = [mx.nd.array(rng.uniform(-s, s, shape)) for s, shape in zip(scales, arg_shapes)]
    if "projection_size" in kwargs:
        outs = mx.nd.RNN(*inputs, **kwargs)
        groups = (("in", inputs), ("out", outs))
    else:
        for x in inputs:
            x.attach_grad()
        with mx.autograd.record():
            outs = mx.nd.RNN(*inputs, **kwargs)
        heads = [mx.nd.array(rng.uniform(-1, 1, o.shape)) for o in outs]
        mx.autograd.backward(outs, heads)
        groups = (("in", inputs), ("out", outs), ("head", heads),
                  ("grad", [x.grad for x in inputs]))
    meta[name] = {"kwargs": kwargs}
    flat = []
    for prefix, arrays in groups:
        meta[name][prefix] = [a.shape for a in arrays]
        flat += [a.asnumpy().ravel() for a in arrays]
    store[name] = np.concatenate(flat).astype(np.float32)


def main(path):
    meta, store = {}, {}
    for name, kwargs in CASES:
        run(name, kwargs, meta, store)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **store)


if __name__ == "__main__":
    main(sys.argv[1])
