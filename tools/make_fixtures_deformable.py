"""Write tests/fixtures/ops/deformable.{json,npz} with real MXNet 1.9.1.

Each case runs a deformable convolution on small seeded inputs whose offsets
reach past the image border (so both versions' border rules are exercised) and
records the output and, for v1, the gradient of every input for a random head
gradient. MXNet 1.9.1 implements the modulated (v2) backward pass on GPU only,
so v2 cases hold forward outputs only. deformable_gluon.npz holds the
``gluon.contrib.cnn`` layers' outputs (and, for v1, gradients) with random
parameters, keyed by parameter name without the block prefix. Run from outside the repository with the
oracle interpreter:

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_deformable.py
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")

V1 = "contrib.DeformableConvolution"
V2 = "contrib.ModulatedDeformableConvolution"


def case(cid, op, n, c, hw, f, kernel, stride=(1, 1), pad=(0, 0), dilate=(1, 1), groups=1,
         dg=1, no_bias=False, dtype="float32", spread=2.5):
    """(id, op, input arrays, kwargs); inputs drawn from a generator seeded by the id."""
    rng = np.random.default_rng(sum(map(ord, cid)))
    ho, wo = ((s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(hw, pad, dilate, kernel, stride))
    taps = kernel[0] * kernel[1]
    arrays = [rng.uniform(-1, 1, (n, c) + hw),
              rng.uniform(-spread, spread, (n, 2 * dg * taps, ho, wo))]
    if op == V2:
        arrays.append(rng.uniform(0, 2, (n, dg * taps, ho, wo)))
    arrays.append(rng.uniform(-1, 1, (f, c // groups) + kernel))
    if not no_bias:
        arrays.append(rng.uniform(-1, 1, (f,)))
    kwargs = dict(kernel=kernel, stride=stride, pad=pad, dilate=dilate, num_filter=f,
                  num_group=groups, num_deformable_group=dg, no_bias=no_bias)
    return cid, op, [a.astype(dtype) for a in arrays], kwargs


CASES = []
for _op, _tag in ((V1, "v1"), (V2, "v2")):
    CASES += [
        case(f"{_tag}-3x3-pad", _op, 2, 2, (4, 5), 3, (3, 3), pad=(1, 1)),
        case(f"{_tag}-stride-dilate-groups", _op, 1, 4, (7, 6), 4, (3, 2), stride=(2, 1),
             pad=(1, 0), dilate=(1, 2), groups=2, dg=2, no_bias=True),
        case(f"{_tag}-far-offsets-float64", _op, 2, 2, (4, 4), 3, (2, 2), dtype="float64",
             spread=6.0),
        # v2 also needs num_filter to be a multiple of num_deformable_group.
        case(f"{_tag}-1x1-dg4", _op, 1, 4, (3, 4), 2 if _op == V1 else 4, (1, 1), dg=4,
             spread=1.5),
    ]


def run(op, arrays, kwargs):
    fn = mx.nd.contrib
    for part in op.split(".")[1:]:
        fn = getattr(fn, part)
    xs = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    grads = op == V1
    if grads:
        for x in xs:
            x.attach_grad()
    with mx.autograd.record():
        out = fn(*xs, **kwargs)
    result = {"out": out.asnumpy()}
    if grads:
        head = np.random.default_rng(7).uniform(-1, 1, out.shape).astype(out.dtype)
        out.backward(mx.nd.array(head, dtype=head.dtype))
        result["head"] = head
        result.update({f"grad{i}": x.grad.asnumpy() for i, x in enumerate(xs)})
    return result


GLUON_CASES = [
    ("DeformableConvolution", dict(channels=3, kernel_size=3, padding=1, strides=2,
                                   num_deformable_group=2, activation="relu")),
    ("ModulatedDeformableConvolution", dict(channels=4, kernel_size=(3, 2), padding=(1, 0),
                                            groups=2, num_deformable_group=2)),
]


def gluon_arrays():
    from mxnet.gluon.contrib import cnn
    arrays = {}
    for name, kwargs in GLUON_CASES:
        block = getattr(cnn, name)(**kwargs)
        block.initialize()
        rng = np.random.default_rng(len(name))
        x = mx.nd.array(rng.uniform(-1, 1, (2, 4, 6, 5)))
        block(x)  # finish deferred initialisation
        params = block.collect_params()
        for pname, p in params.items():
            # offset weights large enough to move samples by a few pixels
            p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))
            arrays[f"{name}/param/{pname[len(block.prefix):]}"] = p.data().asnumpy()
        x.attach_grad()
        with mx.autograd.record():
            out = block(x)
        arrays[f"{name}/x"] = x.asnumpy()
        arrays[f"{name}/out"] = out.asnumpy()
        arrays[f"{name}/kwargs"] = np.array(json.dumps(kwargs))
        if name == "DeformableConvolution":
            out.backward()
            arrays[f"{name}/grad/x"] = x.grad.asnumpy()
            for pname, p in params.items():
                arrays[f"{name}/grad/{pname[len(block.prefix):]}"] = p.grad().asnumpy()
    return arrays


def main():
    meta, arrays = [], {}
    for cid, op, ins, kwargs in CASES:
        result = run(op, ins, kwargs)
        for i, a in enumerate(ins):
            arrays[f"{cid}/in{i}"] = a
        for k, v in result.items():
            arrays[f"{cid}/{k}"] = v
        meta.append({"id": cid, "op": op, "kwargs": kwargs, "num_inputs": len(ins),
                     "grads": "head" in result})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "deformable.json"), "w") as f:
        json.dump(meta, f, indent=1)
    np.savez_compressed(os.path.join(OUT, "deformable.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "deformable_gluon.npz"), **gluon_arrays())
    print(f"wrote {len(meta)} op cases and {len(GLUON_CASES)} layer cases")


if __name__ == "__main__":
    main()
