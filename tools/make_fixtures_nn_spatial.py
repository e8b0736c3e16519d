"""Write tests/fixtures/ops/nn_spatial.npz with MXNet 1.9.1's outputs and
gradients of the spatial and region-of-interest layers (run with the
oracle's interpreter, from a directory outside this repository so
``import mxnet`` is the real one):

    cd /tmp && /path/to/.venv-ref/bin/python /path/to/tools/make_fixtures_nn_spatial.py OUT.npz

The ``meta`` entry (JSON) gives, per case, the function (``mx.nd`` path), its
kwargs and the shapes of its inputs (``in``), outputs (``out``), the head
gradient fed to backward (``head``) and the input gradients (``grad``, absent
for ops MXNet cannot differentiate); the entry named after the case holds
those arrays flattened, in that order.
"""
import json
import sys

import mxnet as mx
import numpy as np

rng = np.random.default_rng(11)


def u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape)


def boxes(batch, n, size, extent=(1, 8)):
    """n regions (batch index, x1, y1, x2, y2) inside a size x size image."""
    out = []
    for _ in range(n):
        x1, y1 = rng.uniform(0, size - 2, 2)
        w, h = rng.uniform(*extent, 2)
        out.append([rng.integers(0, batch), x1, y1, min(x1 + w, size + 1), min(y1 + h, size + 1)])
    return np.array(out)


AFFINE = np.array([[0.9, 0.1, 0.05, -0.2, 1.1, -0.1], [0.7, -0.3, 0.2, 0.25, 0.8, 0.1]])
ROIS = boxes(2, 5, 14)
ROIS[0] = [1, 2.5, 3.5, 2.8, 3.6]       # a region smaller than a pixel
ROIS[1] = [0, -3.0, -2.0, 20.0, 18.0]   # a region larger than the image
RROIS = np.array([[0, 6.0, 5.0, 6.0, 4.0, 30.0], [1, 4.0, 7.5, 5.0, 7.0, -60.0],
                  [0, 1.0, 1.0, 3.0, 2.0, 90.0]])

CASES = [
    ("grid_affine", "GridGenerator", {"transform_type": "affine", "target_shape": (3, 4)},
     [AFFINE]),
    ("grid_warp", "GridGenerator", {"transform_type": "warp"}, [u(2, 2, 3, 4, lo=-2, hi=2)]),
    ("bilinear_sampler", "BilinearSampler", {}, [u(2, 2, 4, 5), u(2, 2, 3, 3, lo=-1.2, hi=1.2)]),
    ("spatial_transformer", "SpatialTransformer",
     {"transform_type": "affine", "sampler_type": "bilinear", "target_shape": (3, 4)},
     [u(2, 2, 5, 5), AFFINE]),
    ("crop_offset", "Crop", {"num_args": 1, "h_w": (2, 3), "offset": (1, 2)}, [u(2, 2, 4, 6)]),
    ("crop_center", "Crop", {"num_args": 1, "h_w": (3, 3), "center_crop": True},
     [u(1, 2, 6, 6)]),
    ("crop_like", "Crop", {"num_args": 2, "offset": (1, 1)}, [u(1, 2, 5, 6), u(1, 1, 3, 4)]),
    ("correlation", "Correlation", {}, [u(2, 3, 5, 6), u(2, 3, 5, 6)]),
    ("correlation_wide", "Correlation",
     {"kernel_size": 3, "max_displacement": 2, "stride2": 2, "pad_size": 2},
     [u(1, 2, 6, 6), u(1, 2, 6, 6)]),
    ("correlation_abs_stride", "Correlation",
     {"kernel_size": 1, "max_displacement": 2, "stride1": 2, "pad_size": 1,
      "is_multiply": False}, [u(1, 2, 7, 6), u(1, 2, 7, 6)]),
    ("roi_pooling", "ROIPooling", {"pooled_size": (2, 3), "spatial_scale": 0.5},
     [u(2, 2, 7, 7), ROIS]),
    ("roi_align", "contrib.ROIAlign", {"pooled_size": (2, 2), "spatial_scale": 0.5},
     [u(2, 2, 7, 7), ROIS]),
    ("roi_align_ratio_aligned", "contrib.ROIAlign",
     {"pooled_size": (3, 2), "spatial_scale": 0.5, "sample_ratio": 2, "aligned": True},
     [u(2, 2, 7, 7), ROIS]),
    ("roi_align_position_sensitive", "contrib.ROIAlign",
     {"pooled_size": (2, 2), "spatial_scale": 0.5, "position_sensitive": True},
     [u(2, 8, 7, 7), ROIS]),
    ("rroi_align", "contrib.RROIAlign", {"pooled_size": (2, 3), "spatial_scale": 1.0},
     [u(2, 2, 9, 9), RROIS]),
    ("rroi_align_ratio", "contrib.RROIAlign",
     {"pooled_size": (2, 2), "spatial_scale": 0.8, "sampling_ratio": 2},
     [u(2, 2, 9, 9), RROIS]),
    ("psroi_pooling", "contrib.PSROIPooling",
     {"spatial_scale": 0.5, "output_dim": 2, "pooled_size": 2}, [u(2, 8, 7, 7), ROIS]),
    ("psroi_pooling_group", "contrib.PSROIPooling",
     {"spatial_scale": 0.5, "output_dim": 1, "pooled_size": 3, "group_size": 2},
     [u(2, 4, 7, 7), ROIS]),
    ("deformable_psroi_no_trans", "contrib.DeformablePSROIPooling",
     {"spatial_scale": 0.5, "output_dim": 2, "group_size": 2, "pooled_size": 2,
      "sample_per_part": 2, "no_trans": True}, [u(2, 8, 7, 7), ROIS]),
    ("deformable_psroi", "contrib.DeformablePSROIPooling",
     {"spatial_scale": 0.5, "output_dim": 1, "group_size": 2, "pooled_size": 3,
      "part_size": 2, "sample_per_part": 2, "trans_std": 0.1},
     [u(2, 4, 7, 7), ROIS, u(5, 2, 2, 2)]),
    ("deformable_psroi_classes", "contrib.DeformablePSROIPooling",
     {"spatial_scale": 0.5, "output_dim": 4, "group_size": 1, "pooled_size": 2,
      "sample_per_part": 3, "trans_std": 0.2},
     [u(2, 4, 7, 7), ROIS, u(5, 4, 2, 2)]),
]
NO_GRADIENT = ("contrib.RROIAlign",)


def nd_func(name):
    obj = mx.nd
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def main(path):
    meta, store = {}, {}
    for name, func, kwargs, arrays in CASES:
        inputs = [mx.nd.array(a, dtype="float32") for a in arrays]
        fn = nd_func(func)
        groups = {"in": inputs}
        if func in NO_GRADIENT:
            groups["out"] = [fn(*inputs, **kwargs)]
        else:
            for x in inputs:
                x.attach_grad()
            with mx.autograd.record():
                out = fn(*inputs, **kwargs)
            head = mx.nd.array(u(*out.shape), dtype="float32")
            out.backward(head)
            groups.update(out=[out], head=[head], grad=[x.grad for x in inputs])
        meta[name] = {"func": func, "kwargs": kwargs}
        flat = []
        for key, values in groups.items():
            meta[name][key] = [v.shape for v in values]
            flat += [v.asnumpy().ravel() for v in values]
        store[name] = np.concatenate(flat).astype(np.float32)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **store)


if __name__ == "__main__":
    main(sys.argv[1])
