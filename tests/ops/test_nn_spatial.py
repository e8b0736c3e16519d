"""Spatial and region-of-interest layers: MXNet 1.9.1 fixtures (outputs and
gradients), finite-difference gradients in float64, bad arguments."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, nd_func, run_case

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops", "nn_spatial.npz")
rng = np.random.default_rng(5)


def _load_fixtures():
    data = np.load(FIXTURES)
    cases = {}
    for name, info in json.loads(str(data["meta"])).items():
        flat, pos, groups = data[name], 0, {}
        for key in ("in", "out", "head", "grad"):
            groups[key] = []
            for shape in info.get(key, []):
                n = int(np.prod(shape))
                groups[key].append(flat[pos:pos + n].reshape(shape))
                pos += n
        cases[name] = (info["func"], info["kwargs"], groups)
    return cases


ORACLE = _load_fixtures()


def _check_fixture(name):
    func, kwargs, groups = ORACLE[name]
    inputs = [mx.nd.array(a) for a in groups["in"]]
    for x in inputs:
        x.attach_grad()
    with mx.autograd.record():
        out = nd_func(func)(*inputs, **kwargs)
    np.testing.assert_allclose(out.asnumpy(), groups["out"][0], rtol=1e-5, atol=1e-6)
    if groups["grad"]:
        out.backward(mx.nd.array(groups["head"][0]))
        for i, (x, want) in enumerate(zip(inputs, groups["grad"])):
            np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name}: gradient of input {i}")


@pytest.mark.parametrize("name", sorted(ORACLE))
def test_matches_mxnet_outputs_and_gradients(name):
    _check_fixture(name)


@pytest.mark.parametrize("name", ["bilinear_sampler", "correlation_wide", "roi_align",
                                  "deformable_psroi"])
def test_matches_mxnet_when_pushed_through_the_engine(name, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    _check_fixture(name)


# Offsets chosen so no sample lands exactly on a pixel (where bilinear sampling has a kink).
AFFINE = np.array([[0.9, 0.1, 0.05, -0.2, 1.1, -0.13], [0.7, -0.3, 0.21, 0.25, 0.8, 0.13]])
IMAGE = rng.uniform(-1, 1, (2, 2, 5, 6))

CASES = [
    Case("GridGenerator", [AFFINE], {"transform_type": "affine", "target_shape": (3, 4)},
         grad=True, id="grid-affine"),
    Case("GridGenerator", [rng.uniform(-2, 2, (1, 2, 3, 4))], {"transform_type": "warp"},
         grad=True, id="grid-warp"),
    Case("BilinearSampler", [IMAGE, rng.uniform(-1.1, 1.1, (2, 2, 3, 3))], grad=True,
         id="bilinear-sampler"),
    Case("SpatialTransformer", [IMAGE, AFFINE],
         {"transform_type": "affine", "sampler_type": "bilinear", "target_shape": (3, 3)},
         grad=True, id="spatial-transformer"),
    Case("Crop", [IMAGE], {"num_args": 1, "h_w": (2, 3), "offset": (2, 1)},
         ref=lambda x, **kw: x[:, :, 2:4, 1:4], grad=True, id="crop-offset"),
    Case("Crop", [IMAGE, np.zeros((1, 1, 3, 2))], {"num_args": 2, "center_crop": True},
         ref=lambda x, like, **kw: x[:, :, 1:4, 2:4], id="crop-like-centred"),
    Case("Correlation", [IMAGE, rng.uniform(-1, 1, IMAGE.shape)],
         {"kernel_size": 3, "max_displacement": 1, "pad_size": 1}, grad=True,
         id="correlation-multiply"),
    Case("Correlation", [IMAGE, rng.uniform(-1, 1, IMAGE.shape)],
         {"max_displacement": 2, "stride2": 2, "stride1": 2, "pad_size": 2,
          "is_multiply": False}, grad=True, id="correlation-absolute-difference"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_spatial_case(case):
    run_case(case)


ROIS = np.array([[0, 1.2, 0.7, 7.3, 6.1], [1, 3.0, 2.0, 9.5, 8.8], [1, 0.4, 4.0, 4.1, 9.2]])


def _with_rois(func, rois=ROIS):
    """``func`` with the regions fixed, so gradients cover data (and trans)."""
    fn = nd_func(func)

    def call(data, *rest, **kwargs):
        return fn(data, mx.nd.array(rois, dtype=data.dtype), *rest, **kwargs)
    call.op = fn.op
    return call


ROI_GRADIENTS = [
    ("ROIPooling", {"pooled_size": (2, 2), "spatial_scale": 0.5}, [(2, 2, 6, 6)]),
    ("contrib.ROIAlign", {"pooled_size": (2, 3), "spatial_scale": 0.5}, [(2, 2, 6, 6)]),
    ("contrib.ROIAlign", {"pooled_size": (2, 2), "spatial_scale": 0.5, "sample_ratio": 2,
                          "aligned": True, "position_sensitive": True}, [(2, 8, 6, 6)]),
    ("contrib.PSROIPooling", {"spatial_scale": 0.5, "output_dim": 2, "pooled_size": 2},
     [(2, 8, 6, 6)]),
    ("contrib.DeformablePSROIPooling",
     {"spatial_scale": 0.5, "output_dim": 2, "group_size": 2, "pooled_size": 2,
      "sample_per_part": 2, "trans_std": 0.1}, [(2, 8, 6, 6), (3, 2, 2, 2)]),
]


@pytest.mark.parametrize("func,kwargs,shapes", ROI_GRADIENTS, ids=lambda v: str(v)[:40])
def test_roi_gradients_match_finite_differences(func, kwargs, shapes):
    inputs = [rng.uniform(-1, 1, s) for s in shapes]
    check_gradient(_with_rois(func), inputs, kwargs, rtol=1e-4, atol=1e-6)


def test_roi_pooling_takes_the_max_of_each_bin():
    data = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
    rois = np.array([[1, 0, 0, 3, 3], [0, 1, 1, 2, 2]], dtype=np.float32)
    out = mx.nd.ROIPooling(mx.nd.array(data), mx.nd.array(rois), pooled_size=(2, 2),
                           spatial_scale=1.0).asnumpy()
    np.testing.assert_array_equal(out[0, 0], [[21, 23], [29, 31]])
    np.testing.assert_array_equal(out[1, 0], [[5, 6], [9, 10]])


def test_regions_with_a_negative_batch_index_give_zeros():
    data = mx.nd.array(rng.uniform(1, 2, (1, 4, 5, 5)))
    rois = mx.nd.array([[-1, 0, 0, 4, 4]])
    for out in (mx.nd.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.0),
                mx.nd.contrib.ROIAlign(data, rois, pooled_size=(2, 2), spatial_scale=1.0),
                mx.nd.contrib.PSROIPooling(data, rois, spatial_scale=1.0, output_dim=1,
                                           pooled_size=2)):
        assert not out.asnumpy().any()


def test_identity_affine_transform_reproduces_the_image():
    identity = mx.nd.array([[1, 0, 0, 0, 1, 0]] * 2)
    out = mx.nd.SpatialTransformer(mx.nd.array(IMAGE), identity, target_shape=(5, 6),
                                   transform_type="affine", sampler_type="bilinear")
    np.testing.assert_allclose(out.asnumpy(), IMAGE.astype(np.float32), atol=1e-6)


def _nd(*shape, dtype="float32"):
    return mx.nd.array(rng.uniform(-1, 1, shape), dtype=dtype)


BAD_CALLS = [
    ("GridGenerator", lambda: mx.nd.GridGenerator(_nd(2, 6), transform_type="affine")),
    ("GridGenerator", lambda: mx.nd.GridGenerator(_nd(2, 5), transform_type="affine",
                                                  target_shape=(2, 2))),
    ("GridGenerator", lambda: mx.nd.GridGenerator(_nd(2, 3, 2, 2), transform_type="warp")),
    ("GridGenerator", lambda: mx.nd.GridGenerator(_nd(2, 6), transform_type="affin",
                                                  target_shape=(2, 2))),
    ("BilinearSampler", lambda: mx.nd.BilinearSampler(_nd(2, 1, 3, 3), _nd(1, 2, 2, 2))),
    ("BilinearSampler", lambda: mx.nd.BilinearSampler(_nd(2, 1, 3, 3), _nd(2, 3, 2, 2))),
    ("BilinearSampler", lambda: mx.nd.BilinearSampler(_nd(2, 1, 3, 3, dtype="int32"),
                                                      _nd(2, 2, 2, 2, dtype="int32"))),
    ("SpatialTransformer", lambda: mx.nd.SpatialTransformer(
        _nd(2, 1, 3, 3), _nd(2, 6), transform_type="affine", sampler_type="bilinear")),
    ("Crop", lambda: mx.nd.Crop(_nd(1, 1, 5, 6), h_w=(2, 3), offset=(4, 2), num_args=1)),
    ("Crop", lambda: mx.nd.Crop(_nd(1, 1, 5, 6), h_w=(6, 3), num_args=1)),
    ("Crop", lambda: mx.nd.Crop(_nd(1, 1, 5, 6), num_args=1)),
    ("Crop", lambda: mx.nd.Crop(_nd(1, 5, 6), h_w=(2, 3), num_args=1)),
    ("Crop", lambda: mx.nd.Crop(_nd(1, 1, 5, 6, dtype="int32"), h_w=(2, 3), num_args=1)),
    ("Crop", lambda: mx.nd.Crop(_nd(1, 1, 5, 6), h_w=(2, 3), num_args=2)),
    ("Correlation", lambda: mx.nd.Correlation(_nd(1, 2, 5, 5), _nd(1, 2, 5, 4))),
    ("Correlation", lambda: mx.nd.Correlation(_nd(1, 2, 5, 5), _nd(1, 2, 5, 5),
                                              kernel_size=2)),
    ("Correlation", lambda: mx.nd.Correlation(_nd(1, 2, 3, 3), _nd(1, 2, 3, 3),
                                              max_displacement=4)),
    ("ROIPooling", lambda: mx.nd.ROIPooling(_nd(1, 2, 5, 5), _nd(2, 4), pooled_size=(2, 2),
                                            spatial_scale=1.0)),
    ("ROIAlign", lambda: mx.nd.contrib.ROIAlign(_nd(1, 6, 5, 5), mx.nd.array([[0, 0, 0, 3, 3]]),
                                                pooled_size=(2, 2), spatial_scale=1.0,
                                                position_sensitive=True)),
    ("ROIAlign", lambda: mx.nd.contrib.ROIAlign(_nd(1, 2, 5, 5), mx.nd.array([[0, 2, 2, 2, 2]]),
                                                pooled_size=(2, 2), spatial_scale=1.0,
                                                aligned=True)),
    ("RROIAlign", lambda: mx.nd.contrib.RROIAlign(_nd(1, 2, 5, 5), _nd(2, 5),
                                                  pooled_size=(2, 2), spatial_scale=1.0)),
    ("PSROIPooling", lambda: mx.nd.contrib.PSROIPooling(
        _nd(1, 6, 5, 5), mx.nd.array([[0, 0, 0, 3, 3]]), spatial_scale=1.0, output_dim=2,
        pooled_size=2)),
    ("DeformablePSROIPooling", lambda: mx.nd.contrib.DeformablePSROIPooling(
        _nd(1, 8, 5, 5), mx.nd.array([[0, 0, 0, 3, 3]]), spatial_scale=1.0, output_dim=2,
        group_size=2, pooled_size=2)),
    ("DeformablePSROIPooling", lambda: mx.nd.contrib.DeformablePSROIPooling(
        _nd(1, 8, 5, 5), mx.nd.array([[0, 0, 0, 3, 3]]), _nd(1, 2, 3, 3), spatial_scale=1.0,
        output_dim=2, group_size=2, pooled_size=2)),
]


@pytest.mark.parametrize("op,call", BAD_CALLS, ids=[f"{c[0]}-{i}" for i, c in
                                                     enumerate(BAD_CALLS)])
def test_rejects_bad_inputs(op, call):
    with pytest.raises(MXNetError, match=op):
        call().wait_to_read()
