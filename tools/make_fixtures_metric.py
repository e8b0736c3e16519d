"""Write the fixtures of tests/test_metric.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_metric.py

Each case creates a metric with ``mx.metric.create(name, **kwargs)``, updates
it with batches 0 and 1, calls ``reset_local``, then updates with batch 2;
after every step it records ``get()``, ``get_global()`` and
``get_name_value()``. ``cases.json`` holds the batches (float32 values as
JSON numbers, exact) and the recorded results.
"""
import json
import os

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "metric")
rng = np.random.RandomState(5)


def probs(n, c):
    x = rng.uniform(0.05, 1, (n, c)).astype(np.float32)
    return (x / x.sum(axis=1, keepdims=True)).astype(np.float32)


def classes(n, c):
    return rng.randint(0, c, n).astype(np.float32)


def batch(kind):
    """(labels, preds): lists of arrays of one batch of the given kind."""
    if kind.startswith("cls"):  # cls<C>
        c = int(kind[3:])
        return [classes(6, c)], [probs(6, c)]
    if kind == "labels":  # predicted labels of the label's shape
        return [classes(6, 3)], [classes(6, 3)]
    if kind == "seq":  # (batch, time) labels, (batch * time, vocab) probabilities
        return [classes(6, 4).reshape(2, 3)], [probs(6, 4)]
    if kind == "reg1":
        return [rng.normal(0, 1, 5).astype(np.float32)], [rng.normal(0, 1, 5).astype(np.float32)]
    if kind == "reg2":
        return [rng.normal(0, 1, (4, 2)).astype(np.float32)], \
            [rng.normal(0, 1, (4, 2)).astype(np.float32)]
    if kind == "two":  # two outputs in one update
        return [classes(4, 3), classes(4, 3)], [probs(4, 3), probs(4, 3)]
    if kind == "loss":
        return [], [rng.uniform(0, 2, (3, 2)).astype(np.float32)]
    raise ValueError(kind)


CASES = [
    ("acc", {}, "cls3"), ("acc", {}, "labels"), ("acc", {}, "two"),
    ("top_k_acc", {"top_k": 2}, "cls4"), ("top_k_accuracy", {"top_k": 3}, "cls5"),
    ("f1", {}, "cls2"), ("f1", {"average": "micro"}, "cls2"),
    ("mcc", {}, "cls2"), ("mcc", {"average": "micro"}, "cls2"),
    ("pcc", {}, "cls3"), ("pcc", {}, "labels"),
    ("perplexity", {"ignore_label": None}, "seq"), ("perplexity", {"ignore_label": 1}, "seq"),
    ("perplexity", {"ignore_label": None, "axis": 1}, "cls3"),
    ("ce", {}, "cls3"), ("nll_loss", {"eps": 1e-6}, "cls4"),
    ("mae", {}, "reg1"), ("mse", {}, "reg2"), ("rmse", {}, "reg1"), ("rmse", {}, "reg2"),
    ("pearsonr", {}, "reg2"), ("pearsonr", {"average": "micro"}, "reg1"),
    ("loss", {}, "loss"), ("torch", {}, "loss"), ("caffe", {}, "loss"),
    ("composite", {"metrics": ["acc", "ce"]}, "cls3"),
]


def plain(x):
    """JSON-ready values (numpy scalars to Python numbers, recursively)."""
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, (np.generic,)):
        return x.item()
    return x


def main():
    cases = []
    for name, kwargs, kind in CASES:
        metric = mx.metric.create(name, **kwargs)
        batches = [batch(kind) for _ in range(3)]
        results = []
        for step, (labels, preds) in enumerate(batches):
            if step == 2:
                metric.reset_local()
            metric.update([mx.nd.array(a) for a in labels], [mx.nd.array(a) for a in preds])
            results.append({"get": plain(metric.get()), "get_global": plain(metric.get_global()),
                            "name_value": plain(metric.get_name_value())})
        cases.append({"metric": name, "kwargs": kwargs,
                      "batches": [[[a.tolist() for a in labels], [a.tolist() for a in preds]]
                                  for labels, preds in batches],
                      "results": results})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
