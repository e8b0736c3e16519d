"""Regenerate the quantization fixtures with real MXNet 1.9.1 (the oracle).

Run from outside the repository so that ``import mxnet`` is the oracle:

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_quantization.py

Writes under tests/fixtures/quantization/:
* batch_norm.npz: _contrib_quantized_batch_norm inputs and outputs (int8 and uint8 data);
* tiny_cnn.npz + tiny_cnn-quantized-symbol.json: a small conv net's parameters and
  calibration data, and the symbol quantize_model makes of it (naive calibration).
  The oneDNN subgraph backend is switched off, otherwise MXNet's executor fuses the
  float model while calibrating and finds no layer outputs to calibrate.
and prints the oracle's outputs for the hand-written cases of
tests/ops/test_quantization.py (the values hard-coded there).
"""
import json
import os

os.environ["MXNET_SUBGRAPH_BACKEND"] = "NONE"

import mxnet as mx  # noqa: E402  (the environment must be set first)
import numpy as np  # noqa: E402
from mxnet.contrib import quantization  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests",
                   "fixtures", "quantization")


def _nd(a):
    return mx.nd.array(a, dtype=a.dtype)


def batch_norm():
    rs = np.random.RandomState(7)
    arrays = {}
    for dtype, lo in (("int8", -128), ("uint8", 0)):
        x = rs.randint(lo, lo + 256, (2, 3, 4, 5)).astype(dtype)
        stats = [rs.uniform(0.5, 2, 3), rs.uniform(-1, 1, 3), rs.uniform(-.5, .5, 3),
                 rs.uniform(.2, 2, 3)]
        stats = [s.astype(np.float32) for s in stats]
        ranges = [np.array([-1.3], np.float32), np.array([2.1], np.float32)]
        out = mx.nd.contrib.quantized_batch_norm(
            _nd(x), *[_nd(s) for s in stats + ranges], min_calib_range=-2.5,
            max_calib_range=3.7, eps=1e-3)
        for name, a in zip(("data", "gamma", "beta", "mean", "var", "min", "max"),
                           [x] + stats + ranges):
            arrays[f"{dtype}_{name}"] = a
        arrays[f"{dtype}_out"] = out[0].asnumpy()
    np.savez(os.path.join(OUT, "batch_norm.npz"), **arrays)


def tiny_cnn_symbol():
    data = mx.sym.var("data")
    net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="conv1")
    net = mx.sym.BatchNorm(net, fix_gamma=False, name="bn1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    net = mx.sym.Flatten(net, name="flat")
    return mx.sym.FullyConnected(net, num_hidden=3, name="fc1")


def tiny_cnn():
    sym = tiny_cnn_symbol()
    rs = np.random.RandomState(0)
    arg_shapes, _, aux_shapes = sym.infer_shape(data=(2, 1, 8, 8))
    arrays = {f"arg:{n}": rs.uniform(-1, 1, s).astype(np.float32)
              for n, s in zip(sym.list_arguments(), arg_shapes) if n != "data"}
    arrays.update({f"aux:{n}": rs.uniform(0.5, 1, s).astype(np.float32)
                   for n, s in zip(sym.list_auxiliary_states(), aux_shapes)})
    arrays["calib_data"] = rs.uniform(-1, 1, (4, 1, 8, 8)).astype(np.float32)
    args = {k[4:]: mx.nd.array(v) for k, v in arrays.items() if k.startswith("arg:")}
    auxs = {k[4:]: mx.nd.array(v) for k, v in arrays.items() if k.startswith("aux:")}
    qsym, _, _ = quantization.quantize_model(
        sym, args, auxs, ctx=mx.cpu(), calib_mode="naive", label_names=None,
        calib_data=mx.io.NDArrayIter(arrays["calib_data"], batch_size=2),
        quantized_dtype="auto", quantize_mode="smart")
    np.savez(os.path.join(OUT, "tiny_cnn.npz"), **arrays)
    with open(os.path.join(OUT, "tiny_cnn-quantized-symbol.json"), "w") as f:
        f.write(qsym.tojson())


def _r(v):
    return mx.nd.array([v])


def print_op_table():
    """The oracle's outputs for the hand-written cases of test_quantization.py."""
    x = mx.nd.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.25, 3.0, -3.0])
    c = mx.nd.contrib
    table = {
        "quantize-int8-even": c.quantize(x, _r(-127), _r(127), out_type="int8"),
        "quantize-int8-saturates": c.quantize(x, _r(-1), _r(2), out_type="int8"),
        "quantize-uint8-keeps-range": c.quantize(x, _r(-1), _r(2)),
        "v2-calib": c.quantize_v2(x, min_calib_range=-127.5, max_calib_range=127.5),
        "v2-uint8-data-range": c.quantize_v2(x.abs(), out_type="uint8"),
        "v2-auto-uint8": c.quantize_v2(x, out_type="auto", min_calib_range=0.,
                                       max_calib_range=255.),
        "v2-zero-range-nan-saturates": c.quantize_v2(mx.nd.zeros(3)),
        "asym": c.quantize_asym(x.reshape((1, 1, 9))),
        "requantize-data-range": c.requantize(mx.nd.array([-1000, 5, 300], dtype="int32"),
                                              _r(-10), _r(20)),
        "requantize-calib-uint8": c.requantize(
            mx.nd.array([2 ** 24, 3 * 2 ** 23, 5 * 2 ** 23, -3 * 2 ** 23], dtype="int32"),
            _r(-2147483647), _r(2147483647), out_type="uint8", min_calib_range=0.,
            max_calib_range=2 ** 24 * 255.),
        "add-calib": c.quantized_elemwise_add(
            mx.nd.array([-128, 64], dtype="int8"), mx.nd.array([5, 2], dtype="int8"),
            _r(-1), _r(2), _r(-3), _r(.5), min_calib_range=-2., max_calib_range=3.),
        "add-int32": c.quantized_elemwise_add(
            mx.nd.array([-128, 5], dtype="int8"), mx.nd.array([5, 127], dtype="int8"),
            _r(-1), _r(2), _r(-3), _r(.5)),
        "concat-rescales-to-widest-range": c.quantized_concat(
            mx.nd.array([[-128, -50, 3]], dtype="int8"),
            mx.nd.array([[0, 50, 255]], dtype="uint8"), _r(-1), _r(2), _r(0), _r(4),
            dim=1, num_args=2),
    }
    data = np.random.RandomState(0).randn(10000).astype(np.float32)
    hist, edges = np.histogram(np.abs(data), bins=1001, range=(-4, 4))
    table["calibrate_entropy"] = c.calibrate_entropy(mx.nd.array(hist), mx.nd.array(edges),
                                                     num_quantized_bins=63)
    for name, outs in table.items():
        print(name, [o.asnumpy().tolist() for o in outs])


def main():
    os.makedirs(OUT, exist_ok=True)
    batch_norm()
    tiny_cnn()
    print_op_table()
    print(json.dumps(sorted(os.listdir(OUT))))


if __name__ == "__main__":
    main()
