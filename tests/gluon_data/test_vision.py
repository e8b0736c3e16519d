"""gluon.data.vision: transforms as Blocks, and datasets read from their files."""
import gzip
import os
import shutil
import struct

import numpy as np
import pytest

import mxnet as mx
import mxnet.ops.image_ops  # noqa: F401  (registers the _image_* operators)
from mxnet.base import MXNetError
from mxnet.gluon import data as gdata
from mxnet.gluon.data.vision import datasets, transforms as T

PNG = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image", "sample.png")
IMG = np.random.RandomState(0).randint(0, 256, (13, 17, 3)).astype(np.uint8)


def u8():
    return mx.nd.array(IMG, dtype="uint8")


def test_compose_groups_hybrid_transforms_and_runs_the_chain():
    chain = T.Compose([T.Resize(16), T.CenterCrop(12), T.ToTensor(), T.Cast("float64"),
                       T.Cast("float32"), T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    assert isinstance(chain[2], mx.gluon.nn.HybridSequential) and len(chain) == 3
    out = chain(u8())
    assert out.shape == (3, 12, 12) and out.dtype == np.float32
    crop = mx.image.center_crop(mx.nd.image.resize(u8(), size=16), (12, 12), 1)[0]
    expected = (crop.asnumpy().transpose(2, 0, 1) / 255.0 - 0.5) / 0.25
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-5)


def _chain_step_by_step(x, steps):
    for step in steps:
        x = step(x)
    return x.asnumpy()


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("mean, std", [((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
                                       (0.5, 0.25)])
def test_to_tensor_then_normalize_fuse_into_one_step_with_bit_identical_results(flip, mean, std):
    head = [T.RandomFlipLeftRight()] if flip else []
    steps = head + [T.ToTensor(), T.Normalize(mean, std)]
    chain = T.Compose(steps)
    assert len(chain) == 1 and not isinstance(chain[0], mx.gluon.nn.HybridSequential)
    for seed in range(4):  # both sides draw the flip from the same random stream
        mx.random.seed(seed)
        fused = chain(u8()).asnumpy()
        mx.random.seed(seed)
        np.testing.assert_array_equal(fused, _chain_step_by_step(u8(), steps))
        assert fused.dtype == np.float32 and fused.flags.c_contiguous


def test_fused_to_tensor_normalize_takes_batches_and_float_images():
    steps = [T.ToTensor(), T.Normalize((0.1, 0.2, 0.3), (0.3, 0.2, 0.1))]
    batch = mx.nd.array(np.stack([IMG, IMG[::-1]]), dtype="uint8")
    np.testing.assert_array_equal(T.Compose(steps)(batch).asnumpy(),
                                  _chain_step_by_step(batch, steps))
    floats = mx.nd.array(IMG * 0.5, dtype="float64")
    np.testing.assert_array_equal(T.Compose(steps)(floats).asnumpy(),
                                  _chain_step_by_step(floats, steps))


def test_fused_to_tensor_normalize_rejects_what_the_separate_steps_reject():
    with pytest.raises(MXNetError, match="'mean' must have 1 or 3 elements"):
        T.Compose([T.ToTensor(), T.Normalize((0.1, 0.2), 1.0)])(u8()).wait_to_read()
    with pytest.raises(MXNetError, match="random_flip_left_right"):
        T.Compose([T.RandomFlipLeftRight(), T.ToTensor(), T.Normalize()])(
            mx.nd.array(np.stack([IMG, IMG]), dtype="uint8")).wait_to_read()


def test_geometric_transforms_shapes():
    assert T.Resize((9, 5))(u8()).shape == (5, 9, 3)
    assert T.Resize(8, keep_ratio=True)(u8()).shape == (8, 10, 3)
    assert T.RandomResizedCrop(7)(u8()).shape == (7, 7, 3)
    assert T.CropResize(1, 2, 6, 5)(u8()).shape == (5, 6, 3)
    assert T.CropResize(1, 2, 6, 5, size=(4, 3))(u8()).shape == (3, 4, 3)
    flipped = T.RandomFlipTopBottom()(u8()).asnumpy()
    assert np.array_equal(flipped, IMG) or np.array_equal(flipped, IMG[::-1])


def test_colour_transforms_stay_in_range_and_keep_dtype():
    x = u8().astype("float32")
    ratio = T.RandomBrightness(0.2)(x).asnumpy() / np.maximum(IMG, 1)
    factor = ratio[IMG > 10]
    assert factor.min() >= 0.8 - 1e-5 and factor.max() <= 1.2 + 1e-5
    assert np.allclose(factor, factor[0], rtol=1e-4)
    for t in (T.RandomContrast(0.3), T.RandomSaturation(0.3), T.RandomHue(0.1),
              T.RandomColorJitter(0.1, 0.1, 0.1, 0.1), T.RandomLighting(0.1), T.RandomGray(1.0)):
        out = t(u8())
        assert out.shape == IMG.shape and out.dtype == np.uint8, type(t).__name__
    assert T.Cast("float16")(u8()).dtype == np.float16


def test_random_apply_and_rotation():
    x = mx.nd.array(np.arange(9, dtype=np.float32).reshape(1, 3, 3))
    never = T.RandomApply(T.Cast("float16"), p=0.0)
    always = T.RandomApply(T.Cast("float16"), p=1.0)
    assert never(x).dtype == np.float32 and always(x).dtype == np.float16
    np.testing.assert_allclose(T.Rotate(180)(x).asnumpy()[0],
                               np.arange(9).reshape(3, 3)[::-1, ::-1], atol=1e-4)
    with pytest.raises(TypeError):
        T.Rotate(10)(u8())


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                     *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_reads_idx_files_from_root(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")
    monkeypatch.setattr(datasets, "download", offline)
    images = np.random.RandomState(1).randint(0, 256, (5, 28, 28))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(5))
    with pytest.warns(UserWarning, match="checksum"):
        ds = datasets.MNIST(root=str(tmp_path), train=False)
    img, label = ds[3]
    assert len(ds) == 5 and img.shape == (28, 28, 1) and img.dtype == np.uint8
    assert label == 3 and isinstance(label, np.int32)
    np.testing.assert_array_equal(img.asnumpy()[:, :, 0], images[3])
    with pytest.warns(UserWarning, match="checksum"):
        shifted = datasets.FashionMNIST(root=str(tmp_path), train=False,
                                        transform=lambda d, l: (d, l + 1))
    assert shifted[0][1] == 1


def test_missing_files_offline_raise_a_clear_mxnet_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")
    monkeypatch.setattr(datasets, "download", offline)
    with pytest.raises(MXNetError, match="train-labels-idx1-ubyte.gz.*place the file"):
        datasets.MNIST(root=str(tmp_path))


def test_cifar_binary_files(tmp_path):
    rng = np.random.RandomState(2)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    pixels = rng.randint(0, 256, (4, 3, 32, 32)).astype(np.uint8)
    labels = np.array([3, 1, 4, 1], np.uint8)
    rows = np.concatenate([labels[:, None], pixels.reshape(4, -1)], axis=1)
    rows.astype(np.uint8).tofile(folder / "test_batch.bin")
    ds = datasets.CIFAR10(root=str(tmp_path), train=False)
    img, label = ds[2]
    assert len(ds) == 4 and img.shape == (32, 32, 3) and label == 4
    np.testing.assert_array_equal(img.asnumpy(), pixels[2].transpose(1, 2, 0))
    folder100 = tmp_path / "cifar-100-binary"
    folder100.mkdir()
    rows100 = np.concatenate([labels[:, None], labels[:, None] + 50, pixels.reshape(4, -1)], 1)
    rows100.astype(np.uint8).tofile(folder100 / "test.bin")
    assert datasets.CIFAR100(root=str(tmp_path), train=False)[0][1] == 3
    assert datasets.CIFAR100(root=str(tmp_path), fine_label=True, train=False)[0][1] == 53


def test_image_folder_and_list_datasets(tmp_path):
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        shutil.copy(PNG, tmp_path / cls / "a.png")
    (tmp_path / "dog" / "notes.txt").write_text("x")
    with pytest.warns(UserWarning, match="notes.txt"):
        ds = datasets.ImageFolderDataset(str(tmp_path))
    assert ds.synsets == ["cat", "dog"] and len(ds) == 2
    img, label = ds[1]
    assert label == 1
    np.testing.assert_array_equal(img.asnumpy(), IMG)
    lst = tmp_path / "list.lst"
    lst.write_text("0\t2\tcat/a.png\n1\t5\t6\tdog/a.png\n")
    listed = datasets.ImageListDataset(str(tmp_path), str(lst))
    assert listed[0][1] == 2.0 and list(listed[1][1]) == [5.0, 6.0]
    np.testing.assert_array_equal(listed[1][0].asnumpy(), IMG)
    from_list = datasets.ImageListDataset(str(tmp_path), [[7, "cat/a.png"]], flag=0)
    assert from_list[0][0].shape == (13, 17, 1)


def test_transformed_images_through_worker_processes(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            shutil.copy(PNG, tmp_path / cls / f"{i}.png")
    ds = datasets.ImageFolderDataset(str(tmp_path)).transform_first(
        T.Compose([T.Resize(8), T.ToTensor()]))
    loader = gdata.DataLoader(ds, batch_size=4, num_workers=2)
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(4, 3, 8, 8), (2, 3, 8, 8)]
    assert batches[1][1].asnumpy().tolist() == [1, 1]
    loader.clean()
