"""Write tests/fixtures/ops/named_rows.json: MXNet 1.9.1's densities and their gradients.

Run under the oracle from outside the repository (so ``import mxnet`` is the real one):
    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_named_rows.py

For each of the exponential, Poisson, negative binomial and generalized negative binomial
densities, with and without ``is_log``: the output and the gradients of every input for a
fixed head gradient, all in float64.
"""
import json
import os

import numpy as np

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops",
                   "named_rows.json")

X = [[0.5, 1.0, 1.5, 4.0], [2.0, 0.1, 3.0, 0.0]]
COUNTS = [[0.0, 1.0, 3.0, 7.0], [2.0, 0.0, 5.0, 1.0]]
CASES = {
    "exponential": [X, [0.7, 2.5]],
    "poisson": [COUNTS, [1.2, 3.5]],
    "negative_binomial": [COUNTS, [2.0, 4.5], [0.3, 0.6]],
    "generalized_negative_binomial": [COUNTS, [1.5, 2.5], [0.3, 0.8]],
}
HEAD = (np.arange(1, 9).reshape(2, 4) / 4).tolist()


def main():
    rows = []
    for name, inputs in CASES.items():
        for is_log in (False, True):
            xs = [mx.nd.array(a, dtype="float64") for a in inputs]
            for x in xs:
                x.attach_grad()
            with mx.autograd.record():
                y = getattr(mx.nd, "random_pdf_" + name)(*xs, is_log=is_log)
            y.backward(mx.nd.array(HEAD, dtype="float64"))
            rows.append({"op": "random_pdf_" + name, "is_log": is_log, "inputs": inputs,
                         "head": HEAD, "output": y.asnumpy().tolist(),
                         "grads": [x.grad.asnumpy().tolist() for x in xs]})
    with open(OUT, "w") as f:
        json.dump({"mxnet": mx.__version__, "densities": rows}, f, indent=0)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
