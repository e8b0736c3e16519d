"""Write the fixtures of tests/test_initializer.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_initializer.py

``cases.json`` holds: the ``dumps()`` string of each initializer
configuration; the values the deterministic initializers write (Bilinear,
LSTMBias, Constant, the suffix rules of both call forms); and, for fused
RNN parameter vectors, the names and shapes of the pieces FusedRNN hands to
its inner initializer plus the packed result when piece k is filled with k.
"""
import json
import os
import warnings

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "initializer")

DUMPS = {
    "Zero()": mx.init.Zero(), "One()": mx.init.One(), "Constant(2)": mx.init.Constant(2),
    "Constant(0.5)": mx.init.Constant(0.5), "Uniform()": mx.init.Uniform(),
    "Uniform(0.2)": mx.init.Uniform(0.2), "Normal()": mx.init.Normal(),
    "Orthogonal()": mx.init.Orthogonal(), "Orthogonal(2.0, 'normal')":
        mx.init.Orthogonal(2.0, "normal"), "Xavier()": mx.init.Xavier(),
    "Xavier('gaussian', 'in', 2)": mx.init.Xavier("gaussian", "in", 2),
    "MSRAPrelu()": mx.init.MSRAPrelu(), "MSRAPrelu('out', 0.1)": mx.init.MSRAPrelu("out", 0.1),
    "Bilinear()": mx.init.Bilinear(), "LSTMBias()": mx.init.LSTMBias(),
    "LSTMBias(2.5)": mx.init.LSTMBias(2.5), "Initializer()": mx.init.Initializer(),
    "FusedRNN(None, 4, 1, 'lstm')": mx.init.FusedRNN(None, 4, 1, "lstm"),
    "FusedRNN(Xavier(), 8, 2, 'gru', True, 0.5)":
        mx.init.FusedRNN(mx.init.Xavier(), 8, 2, "gru", True, 0.5),
}

FUSED = [("lstm", True, 2, 5), ("gru", False, 1, 5), ("rnn_tanh", False, 2, 4),
         ("rnn_relu", True, 1, 2)]


def fused_size(mode, bidirectional, layers, inputs, hidden=3):
    gates = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}[mode]
    b = 2 if bidirectional else 1
    first = b * gates * hidden * (inputs + hidden + 2)
    return first + (layers - 1) * b * gates * hidden * (b * hidden + hidden + 2)


def main():
    out = {"dumps": {k: v.dumps() for k, v in DUMPS.items()}}
    a = mx.nd.zeros((2, 1, 3, 4))
    mx.init.Bilinear()(mx.init.InitDesc("up_weight"), a)
    out["bilinear_2x1x3x4"] = a.asnumpy().tolist()
    b = mx.nd.zeros((12,))
    mx.init.LSTMBias(2.5)(mx.init.InitDesc("lstm_bias"), b)
    out["lstm_bias_12"] = b.asnumpy().tolist()

    rules = {}
    for name in ["fc_weight", "fc_bias", "bn_gamma", "bn_beta", "q_min", "q_max"]:
        x = mx.nd.full((2,), 7.0)
        mx.init.Constant(3.0)(mx.init.InitDesc(name), x)
        rules[name] = x.asnumpy().tolist()
    out["desc_rules"] = rules
    legacy = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ["fc_weight", "fc_bias", "bn_gamma", "bn_beta", "bn_moving_mean",
                     "bn_moving_var", "x_moving_inv_var", "x_moving_avg", "q_min", "q_max",
                     "stn_loc_weight", "stn_loc_bias"]:
            x = mx.nd.full((6,), 7.0)
            mx.init.Constant(3.0)(name, x)
            legacy[name] = x.asnumpy().tolist()
    out["legacy_rules"] = legacy

    names = []

    class Recorder(mx.init.Initializer):
        def _init_weight(self, name, arr):
            names.append([str(name), list(arr.shape)])
            arr[:] = len(names)
        _init_bias = _init_weight
    fused = []
    for mode, bidirectional, layers, inputs in FUSED:
        names.clear()
        arr = mx.nd.zeros((fused_size(mode, bidirectional, layers, inputs),))
        init = mx.init.FusedRNN(Recorder(), 3, layers, mode, bidirectional, forget_bias=2.0)
        init._init_weight(mx.init.InitDesc("rnn_parameters"), arr)
        fused.append({"mode": mode, "bidirectional": bidirectional, "layers": layers,
                      "size": arr.size, "pieces": list(names),
                      "values": arr.asnumpy().astype(int).tolist()})
    out["fused_rnn"] = fused
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
