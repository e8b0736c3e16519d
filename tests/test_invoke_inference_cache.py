"""invoke remembers what shape/type inference found for pushed operator calls."""
import numpy as np

import mxnet as mx
from mxnet.ndarray import invoke
from mxnet.ops import registry


def test_inference_is_reused_for_the_same_attrs_shapes_and_dtypes(monkeypatch):
    op = registry.get("FullyConnected")
    attrs = op.parse({"num_hidden": 4})
    calls = []
    rule = op.infer_shape
    monkeypatch.setattr(op, "infer_shape", lambda a, s: calls.append(1) or rule(a, s))
    monkeypatch.setattr(invoke, "_INFERRED", {})
    x, w, b = mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones((4,))
    first = invoke.infer_outputs(op, attrs, [x, w, b])
    assert invoke.infer_outputs(op, attrs, [x, w, b]) is first
    assert first == ([(2, 4)], ["float32"]) and len(calls) == 1
    # Another batch size or dtype is inferred afresh.
    assert invoke.infer_outputs(op, attrs, [mx.nd.ones((5, 3)), w, b])[0] == [(5, 4)]
    x64, w64, b64 = (a.astype("float64") for a in (x, w, b))
    assert invoke.infer_outputs(op, attrs, [x64, w64, b64])[1] == ["float64"]
    assert len(calls) == 3


def test_pushed_ops_give_the_right_results_with_cached_inference(monkeypatch):
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)  # push every op
    rng = np.random.default_rng(0)
    for rows in (3, 5, 3):
        x = rng.standard_normal((rows, 6)).astype(np.float32)
        w = rng.standard_normal((2, 6)).astype(np.float32)
        out = mx.nd.FullyConnected(mx.nd.array(x), mx.nd.array(w), num_hidden=2, no_bias=True)
        assert out.shape == (rows, 2)
        np.testing.assert_allclose(out.asnumpy(), x @ w.T, rtol=1e-5, atol=1e-6)


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(invoke, "_INFERRED", {})
    monkeypatch.setattr(invoke, "_INFERRED_LIMIT", 4)
    op = registry.get("relu")
    attrs = op.default_attrs()
    for n in range(1, 11):
        assert invoke.infer_outputs(op, attrs, [mx.nd.ones((n,))])[0] == [(n,)]
    assert len(invoke._INFERRED) <= 4
