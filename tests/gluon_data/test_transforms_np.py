"""Vision transforms on mx.np images (under npx.set_np()): mx.np results with
the values the same transform gives a legacy image."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import npx
from mxnet.gluon.data.vision import transforms as T

IMAGE = onp.random.RandomState(0).randint(0, 256, size=(24, 20, 3)).astype("uint8")

DETERMINISTIC = {
    "to_tensor": lambda: T.ToTensor(),
    "resize": lambda: T.Resize(12),
    "center_crop": lambda: T.CenterCrop(10),
    "cast": lambda: T.Cast("float16"),
    "gray": lambda: T.RandomGray(1.0),
    "compose": lambda: T.Compose([T.Resize(16), T.CenterCrop(12), T.ToTensor(),
                                  T.Normalize((0.4, 0.5, 0.6), (0.2, 0.25, 0.3))]),
}


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_transforms_of_np_images_give_np_images_equal_to_legacy(name):
    legacy = DETERMINISTIC[name]()(mx.nd.array(IMAGE, dtype="uint8"))
    npx.set_np()
    try:
        out = DETERMINISTIC[name]()(mx.np.array(IMAGE, dtype="uint8"))
    finally:
        npx.reset_np()
    assert type(out) is mx.np.ndarray
    assert out.dtype == legacy.dtype and out.shape == legacy.shape
    onp.testing.assert_allclose(out.asnumpy(), legacy.asnumpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make", [lambda: T.RandomResizedCrop(8), lambda: T.RandomFlipLeftRight(),
                                  lambda: T.RandomColorJitter(0.2, 0.2, 0.2, 0.1),
                                  lambda: T.RandomLighting(0.1)])
def test_random_transforms_keep_np_images_in_the_np_front_end(make):
    npx.set_np()
    try:
        out = make()(mx.np.array(IMAGE, dtype="uint8"))
    finally:
        npx.reset_np()
    assert type(out) is mx.np.ndarray and out.dtype == onp.uint8
