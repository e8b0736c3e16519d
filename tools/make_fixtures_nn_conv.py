"""Write tests/fixtures/ops/nn_conv.{json,npz} with real MXNet 1.9.1.

Each case runs one convolution/pooling/resizing operator on small seeded inputs and
records the output and, for float cases, the gradients of every input for a random
head gradient. Run from outside the repository with the oracle interpreter:

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_nn_conv.py
"""
import json
import os
import subprocess
import sys
import tempfile

# The native kernels are MXNet's reference semantics, but they lack 3-d deconvolution
# and its oneDNN path rejects other valid parameter sets (dilated grouped deconvolution);
# cases marked ``_onednn`` run in a second process with oneDNN on.
_ONEDNN = os.environ.get("MXNET_MKLDNN_ENABLED", "0") == "1"
os.environ["MXNET_MKLDNN_ENABLED"] = "1" if _ONEDNN else "0"
os.environ.setdefault("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "0")

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")


def conv(cid, data, weight, bias=None, **kw):
    shapes = [data, weight] + ([bias] if bias else [])
    return (cid, "Convolution", shapes, kw)


def deconv(cid, data, weight, bias=None, **kw):
    shapes = [data, weight] + ([bias] if bias else [])
    return (cid, "Deconvolution", shapes, kw)


def pool(cid, data, op="Pooling", **kw):
    return (cid, op, [data], kw)


CASES = [
    conv("conv2d-3x3", (2, 3, 5, 5), (4, 3, 3, 3), (4,), kernel=(3, 3), num_filter=4),
    conv("conv2d-asym-stride-pad-dilate", (2, 3, 7, 6), (4, 3, 3, 2), (4,), kernel=(3, 2),
         stride=(2, 1), pad=(1, 0), dilate=(1, 2), num_filter=4),
    conv("conv2d-groups", (2, 4, 5, 5), (6, 2, 3, 3), (6,), kernel=(3, 3), pad=(1, 1),
         num_filter=6, num_group=2),
    conv("conv2d-depthwise-no-bias", (1, 4, 6, 6), (4, 1, 3, 3), kernel=(3, 3), stride=(2, 2),
         num_filter=4, num_group=4, no_bias=True),
    conv("conv2d-1x1", (2, 5, 3, 4), (3, 5, 1, 1), (3,), kernel=(1, 1), num_filter=3),
    conv("conv1d", (2, 3, 9), (4, 3, 3), (4,), kernel=(3,), stride=(2,), pad=(1,),
         dilate=(2,), num_filter=4),
    conv("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,), kernel=(2, 3, 2), stride=(1, 2, 1),
         pad=(1, 0, 1), num_filter=3),
    conv("conv2d-nhwc", (2, 5, 5, 3), (4, 3, 3, 3), (4,), kernel=(3, 3), pad=(1, 1),
         stride=(2, 2), num_filter=4, layout="NHWC"),
    conv("conv3d-ndhwc", (1, 4, 4, 3, 2), (3, 2, 2, 2, 2), (3,), kernel=(2, 2, 2),
         num_filter=3, layout="NDHWC"),
    ("conv2d-v1", "Convolution_v1", [(2, 3, 5, 5), (4, 3, 3, 3), (4,)],
     dict(kernel=(3, 3), pad=(1, 1), num_filter=4)),
    conv("conv2d-float64", (1, 2, 4, 4), (2, 2, 2, 2), (2,), kernel=(2, 2), num_filter=2,
         dtype="float64"),
    deconv("deconv2d", (2, 3, 4, 4), (3, 2, 3, 3), kernel=(3, 3), num_filter=2),
    deconv("deconv2d-stride-pad-adj-bias", (2, 3, 3, 4), (3, 2, 3, 3), (2,), kernel=(3, 3),
           stride=(2, 2), pad=(1, 1), adj=(1, 0), num_filter=2, no_bias=False),
    deconv("deconv2d-target-shape", (1, 2, 4, 4), (2, 3, 3, 3), kernel=(3, 3), stride=(2, 2),
           target_shape=(8, 9), num_filter=3),
    deconv("deconv2d-groups-dilate", (1, 4, 3, 3), (4, 3, 2, 3), kernel=(2, 3),
           dilate=(2, 1), num_filter=6, num_group=2),
    deconv("deconv1d", (2, 3, 5), (3, 2, 3), kernel=(3,), stride=(3,), pad=(1,), num_filter=2),
    deconv("deconv3d", (1, 2, 2, 3, 2), (2, 2, 2, 2, 2), kernel=(2, 2, 2), stride=(2, 1, 2),
           num_filter=2, _onednn=True),
    deconv("deconv2d-nhwc", (1, 3, 3, 2), (2, 3, 3, 3), kernel=(3, 3), stride=(2, 2),
           num_filter=3, layout="NHWC"),
    pool("max-valid", (2, 3, 6, 7), kernel=(3, 3), stride=(2, 2)),
    pool("max-full-pad", (1, 2, 6, 7), kernel=(3, 2), stride=(2, 3), pad=(1, 1),
         pooling_convention="full"),
    pool("avg-valid-pad", (2, 2, 5, 5), kernel=(3, 3), pad=(1, 1), pool_type="avg"),
    pool("avg-full-include-pad", (1, 2, 6, 7), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
         pool_type="avg", pooling_convention="full"),
    pool("avg-full-exclude-pad", (1, 2, 6, 7), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
         pool_type="avg", pooling_convention="full", count_include_pad=False),
    pool("sum-full", (1, 2, 5, 6), kernel=(2, 3), stride=(2, 2), pool_type="sum",
         pooling_convention="full"),
    pool("lp1", (1, 2, 5, 5), kernel=(2, 2), pool_type="lp", p_value=1),
    pool("lp2-pad", (1, 2, 5, 5), kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="lp",
         p_value=2),
    pool("lp3", (1, 2, 4, 5), kernel=(2, 2), pool_type="lp", p_value=3),
    pool("max-global", (2, 3, 4, 5), global_pool=True),
    pool("avg-global", (2, 3, 4, 5), global_pool=True, pool_type="avg", kernel=(2, 2)),
    pool("lp2-global", (2, 3, 4, 5), global_pool=True, pool_type="lp", p_value=2),
    pool("max-1d", (2, 3, 9), kernel=(3,), stride=(2,), pad=(1,)),
    pool("avg-3d", (1, 2, 4, 5, 4), kernel=(2, 3, 2), stride=(2, 1, 2), pool_type="avg"),
    pool("max-nhwc", (2, 5, 6, 3), kernel=(3, 3), stride=(2, 2), layout="NHWC"),
    pool("avg-nwc", (2, 7, 3), kernel=(3,), stride=(2,), pool_type="avg", layout="NWC"),
    pool("max-ndhwc", (1, 4, 4, 4, 2), kernel=(2, 2, 2), stride=(2, 2, 2), layout="NDHWC"),
    pool("max-float16", (1, 2, 5, 5), kernel=(2, 2), dtype="float16"),
    pool("v1-max-pad-counts-zeros", (1, 2, 5, 5), op="Pooling_v1", kernel=(3, 3), pad=(1, 1),
         stride=(2, 2)),
    pool("v1-avg-full", (1, 2, 6, 7), op="Pooling_v1", kernel=(3, 3), stride=(2, 2),
         pad=(1, 1), pool_type="avg", pooling_convention="full"),
    pool("v1-sum-global", (1, 2, 4, 5), op="Pooling_v1", global_pool=True, pool_type="sum"),
    ("upsampling-nearest", "UpSampling", [(1, 2, 3, 4)], dict(scale=2, sample_type="nearest")),
    ("upsampling-nearest-concat", "UpSampling", [(1, 2, 4, 4), (1, 3, 2, 2)],
     dict(scale=2, sample_type="nearest", num_args=2)),
    ("upsampling-nearest-sum", "UpSampling", [(1, 2, 4, 4), (1, 2, 2, 2)],
     dict(scale=2, sample_type="nearest", num_args=2, multi_input_mode="sum")),
    ("upsampling-bilinear", "UpSampling", [(1, 2, 3, 3), (2, 1, 4, 4)],
     dict(scale=2, sample_type="bilinear", num_filter=2, num_args=2)),
    ("upsampling-bilinear-scale3", "UpSampling", [(1, 2, 3, 2), (2, 1, 5, 5)],
     dict(scale=3, sample_type="bilinear", num_filter=2, num_args=2)),
    ("im2col", "im2col", [(2, 3, 5, 6)], dict(kernel=(2, 3), stride=(2, 1), pad=(1, 1),
                                              dilate=(1, 2))),
    ("col2im", "col2im", [(2, 18, 12)], dict(output_size=(5, 6), kernel=(2, 3),
                                             stride=(2, 1), pad=(1, 1), dilate=(1, 2))),
    ("adaptive-avg", "contrib.AdaptiveAvgPooling2D", [(2, 3, 7, 5)], dict(output_size=(3, 2))),
    ("adaptive-avg-int-size", "contrib.AdaptiveAvgPooling2D", [(1, 2, 5, 6)],
     dict(output_size=4)),
    ("adaptive-avg-upscale", "contrib.AdaptiveAvgPooling2D", [(1, 2, 3, 2)],
     dict(output_size=(5, 4))),
    ("resize-size-align", "contrib.BilinearResize2D", [(1, 2, 4, 5)], dict(height=7, width=3)),
    ("resize-size-half-pixel", "contrib.BilinearResize2D", [(1, 2, 4, 5)],
     dict(height=7, width=3, align_corners=False)),
    ("resize-scale", "contrib.BilinearResize2D", [(1, 2, 3, 5)],
     dict(scale_height=2.0, scale_width=1.5)),
    ("resize-scale-half-pixel", "contrib.BilinearResize2D", [(1, 2, 3, 5)],
     dict(scale_height=2.0, scale_width=0.5, align_corners=False)),
    ("resize-like", "contrib.BilinearResize2D", [(1, 2, 3, 4), (1, 1, 5, 6)],
     dict(mode="like")),
    ("resize-odd-scale", "contrib.BilinearResize2D", [(1, 1, 4, 5)],
     dict(mode="odd_scale", scale_height=2.0, scale_width=2.0)),
    ("resize-to-even-up", "contrib.BilinearResize2D", [(1, 1, 5, 4)], dict(mode="to_even_up")),
    ("resize-to-odd-down", "contrib.BilinearResize2D", [(1, 1, 4, 5)],
     dict(mode="to_odd_down")),
]


def nd_func(name):
    obj = mx.nd
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def channels_first(func, kw):
    """MXNet 1.9.1 on CPU runs channels-last convolutions only through oneDNN and only
    for some parameters; the references for channels-last layouts are therefore the
    channels-first results with the channel axis moved (weights included)."""
    if kw.get("layout") not in ("NWC", "NHWC", "NDHWC"):
        return func
    kw = dict(kw, layout=None)

    def first(a):
        return mx.nd.moveaxis(a, -1, 1)

    def run(*xs, **_given):
        moved = [first(x) if i < 2 else x for i, x in enumerate(xs)]
        return mx.nd.moveaxis(func(*moved, **kw), 1, -1)
    return run


def sample(rng, shape, dtype):
    if dtype.startswith("int"):
        return rng.integers(-5, 6, shape).astype(dtype)
    return rng.uniform(-1, 1, shape).astype(dtype)


def run_cases(path):
    """Run the cases of this process's mode; save arrays and metadata to ``path``."""
    arrays, meta = {}, []
    for index, (cid, op, shapes, kw) in enumerate(CASES):
        kw = dict(kw)
        if kw.pop("_onednn", False) != _ONEDNN:
            continue
        rng = np.random.default_rng(index)
        dtype = kw.pop("dtype", "float32")
        ins = [sample(rng, s, dtype) for s in shapes]
        xs = [mx.nd.array(a, dtype=dtype) for a in ins]
        grad = dtype in ("float32", "float64") and op != "UpSampling" or \
            (op == "UpSampling" and dtype == "float32")
        if op == "contrib.BilinearResize2D" and len(xs) > 1:
            grad_inputs = xs[:1]
        else:
            grad_inputs = xs
        if grad:
            for x in grad_inputs:
                x.attach_grad()
            with mx.autograd.record():
                out = channels_first(nd_func(op), kw)(*xs, **kw)
            head = sample(rng, out.shape, dtype)
            out.backward(mx.nd.array(head, dtype=dtype))
        else:
            out = channels_first(nd_func(op), kw)(*xs, **kw)
        for i, a in enumerate(ins):
            arrays[f"{cid}/in{i}"] = a
        arrays[f"{cid}/out"] = out.asnumpy()
        if grad:
            arrays[f"{cid}/head"] = head
            for i, x in enumerate(grad_inputs):
                arrays[f"{cid}/grad{i}"] = x.grad.asnumpy()
        meta.append({"index": index, "id": cid, "op": op,
                     "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
                     "num_inputs": len(ins), "num_grads": len(grad_inputs) if grad else 0})
    np.savez(path, meta=json.dumps(meta), **arrays)


def main():
    arrays, meta = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for flag in ("0", "1"):
            path = os.path.join(tmp, f"part{flag}.npz")
            subprocess.run([sys.executable, __file__, path], check=True,
                           env=dict(os.environ, MXNET_MKLDNN_ENABLED=flag))
            with np.load(path) as part:
                meta += json.loads(str(part["meta"]))
                arrays.update({k: part[k] for k in part.files if k != "meta"})
    meta.sort(key=lambda m: m.pop("index"))
    np.savez_compressed(os.path.join(OUT, "nn_conv.npz"), **arrays)
    with open(os.path.join(OUT, "nn_conv.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run_cases(sys.argv[1])
    else:
        main()
