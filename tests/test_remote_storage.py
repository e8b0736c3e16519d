"""Remote storage: every API that takes a path also takes a URI (``file://``, ``memory://``,
``s3://`` on a local moto server), opened through fsspec only when the path is remote."""
import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

import mxnet as mx
from mxnet import filesystem, recordio
from mxnet.base import MXNetError
from mxnet.io import decode

HAVE_FSSPEC = importlib.util.find_spec("fsspec") is not None
HAVE_S3 = HAVE_FSSPEC and all(importlib.util.find_spec(m) is not None
                              for m in ("s3fs", "moto", "werkzeug", "flask"))
HAVE_IMAGES = decode.cv2 is not None or decode._PILImage is not None
needs_images = pytest.mark.skipif(not HAVE_IMAGES, reason="needs Pillow or OpenCV")
BUCKET = "mxnext-remote-test"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """A moto S3 server on a loopback port, with s3fs pointed at it and a bucket made."""
    if not HAVE_S3:
        pytest.skip("needs fsspec, s3fs and moto[server] (pip install 'moto[server]' s3fs fsspec)")
    import fsspec
    import s3fs

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"moto server did not start on port {port}")
            time.sleep(0.1)
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as mp:
        # Fake credentials and an explicit endpoint: nothing can reach real AWS.
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ENDPOINT_URL": endpoint}.items():
            mp.setenv(name, value)
        mp.setitem(fsspec.config.conf, "s3", {"client_kwargs": {"endpoint_url": endpoint}})
        s3fs.S3FileSystem.clear_instance_cache()
        fsspec.filesystem("s3").mkdir(BUCKET)
        try:
            yield endpoint
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(params=["file", "memory", "s3"])
def base(request, tmp_path):
    """A fresh folder URI of each kind."""
    if request.param == "file":
        return f"file://{tmp_path}"
    if not HAVE_FSSPEC:
        pytest.skip("needs fsspec (pip install fsspec)")
    if request.param == "memory":
        return f"memory://mxnext-{uuid.uuid4().hex}"
    request.getfixturevalue("s3_server")
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


def _image(seed, size=(12, 16)):
    return np.random.default_rng(seed).integers(0, 256, size + (3,), dtype=np.uint8)


def _put(uri, data):
    """Write ``data`` to ``uri``, making the local folders a file:// URI needs."""
    if uri.startswith("file://"):
        os.makedirs(os.path.dirname(uri[len("file://"):]), exist_ok=True)
    filesystem.write_bytes(uri, data)


def _write_image_records(rec, idx, count=6):
    writer = recordio.MXIndexedRecordIO(idx, rec, "w")
    for i in range(count):
        writer.write_idx(i, recordio.pack_img((0, float(i), i, 0), _image(i), img_fmt=".png"))
    writer.close()


# -- arrays, symbols, checkpoints, Gluon files ----------------------------------------------
def test_ndarray_save_load_round_trip(base):
    arrays = {"w": mx.nd.array(np.arange(6.0).reshape(2, 3)), "b": mx.nd.ones(4, dtype="int32")}
    mx.nd.save(f"{base}/arrays.params", arrays)
    loaded = mx.nd.load(f"{base}/arrays.params")
    assert sorted(loaded) == ["b", "w"]
    np.testing.assert_array_equal(loaded["w"].asnumpy(), arrays["w"].asnumpy())
    assert loaded["b"].dtype == np.int32
    mx.nd.save(f"{base}/list.params", [arrays["w"]])
    assert isinstance(mx.nd.load(f"{base}/list.params"), list)


def test_symbol_json_and_checkpoint_round_trip(base):
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
    net.save(f"{base}/net-symbol.json")
    assert mx.sym.load(f"{base}/net-symbol.json").tojson() == net.tojson()
    args = {"fc_weight": mx.nd.ones((3, 2)), "fc_bias": mx.nd.zeros(3)}
    mx.model.save_checkpoint(f"{base}/ckpt", 7, net, args, {})
    sym, arg_params, aux_params = mx.model.load_checkpoint(f"{base}/ckpt", 7)
    assert sym.list_arguments() == ["data", "fc_weight", "fc_bias"]
    np.testing.assert_array_equal(arg_params["fc_weight"].asnumpy(), np.ones((3, 2)))
    assert aux_params == {}


def test_gluon_parameters_and_export_round_trip(base):
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(3, in_units=2))
    net.initialize()
    net.hybridize()
    x = mx.nd.array([[1.0, 2.0]])
    expected = net(x).asnumpy()
    net.save_parameters(f"{base}/net.params")
    other = mx.gluon.nn.HybridSequential()
    other.add(mx.gluon.nn.Dense(3, in_units=2))
    other.load_parameters(f"{base}/net.params")
    np.testing.assert_allclose(other(x).asnumpy(), expected, rtol=1e-6)
    net.export(f"{base}/model", epoch=2)
    imported = mx.gluon.SymbolBlock.imports(f"{base}/model-symbol.json", ["data"],
                                            f"{base}/model-0002.params")
    np.testing.assert_allclose(imported(x).asnumpy(), expected, rtol=1e-6)


# -- record files and the readers built on them ---------------------------------------------
def test_recordio_sequential_and_indexed(base):
    payloads = [b"first", recordio._MAGIC_BYTES * 3 + b"split", b""]
    writer = recordio.MXRecordIO(f"{base}/plain.rec", "w")
    for p in payloads:
        writer.write(p)
    writer.close()
    reader = recordio.MXRecordIO(f"{base}/plain.rec", "r")
    assert [reader.read() for _ in range(4)] == payloads + [None]
    reader.close()
    writer = recordio.MXIndexedRecordIO(f"{base}/keyed.idx", f"{base}/keyed.rec", "w")
    for i, p in enumerate(payloads):
        writer.write_idx(i, p)
    writer.close()
    reader = recordio.MXIndexedRecordIO(f"{base}/keyed.idx", f"{base}/keyed.rec", "r")
    assert reader.keys == [0, 1, 2]
    assert reader.read_idx(1) == payloads[1] and reader.read_idx(0) == payloads[0]
    reader.close()


@needs_images
def test_image_record_iter_reads_a_remote_file_like_a_local_copy(base, tmp_path):
    _write_image_records(f"{base}/img.rec", f"{base}/img.idx")
    local = tmp_path / "copy.rec"
    local.write_bytes(filesystem.read_bytes(f"{base}/img.rec"))

    def batches(path, **extra):
        it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 10, 10), batch_size=4,
                                   verbose=False, **extra)
        return [(b.data[0].asnumpy(), b.label[0].asnumpy()) for b in it]

    remote, expected = batches(f"{base}/img.rec"), batches(str(local))
    assert len(remote) == 2
    for (data, label), (ref_data, ref_label) in zip(remote, expected):
        np.testing.assert_array_equal(data, ref_data)
        np.testing.assert_array_equal(label, ref_label)
    indexed = batches(f"{base}/img.rec", path_imgidx=f"{base}/img.idx")
    np.testing.assert_array_equal(indexed[0][1], [0, 1, 2, 3])


@needs_images
def test_gluon_record_datasets_and_data_loader_workers(base):
    _write_image_records(f"{base}/img.rec", f"{base}/img.idx")
    raw = mx.gluon.data.RecordFileDataset(f"{base}/img.rec")
    assert len(raw) == 6 and recordio.unpack(raw[3])[0].label == 3.0
    images = mx.gluon.data.vision.ImageRecordDataset(f"{base}/img.rec")
    img, label = images[2]
    np.testing.assert_array_equal(img.asnumpy(), _image(2)[:, :, ::-1])
    assert label == 2.0
    if base.startswith("memory://"):
        return  # an in-memory filesystem is private to its process
    loader = mx.gluon.data.DataLoader(images.transform_first(lambda x: x.astype("float32")),
                                      batch_size=3, num_workers=2)
    labels = [lab.asnumpy().tolist() for _, lab in loader]
    assert labels == [[0, 1, 2], [3, 4, 5]]


@needs_images
def test_image_files_imread_image_iter_and_image_datasets(base):
    for name, seed in (("cat/a.png", 0), ("cat/b.png", 1), ("dog/c.png", 2)):
        _put(f"{base}/imgs/{name}", decode.imencode(_image(seed), ".png", quality=3))
    np.testing.assert_array_equal(mx.image.imread(f"{base}/imgs/dog/c.png").asnumpy(),
                                  _image(2)[:, :, ::-1])
    with filesystem.open(f"{base}/list.lst", "w") as f:
        f.write("0\t1\tcat/a.png\n1\t0\tdog/c.png\n")
    it = mx.image.ImageIter(batch_size=2, data_shape=(3, 12, 16), path_imglist=f"{base}/list.lst",
                            path_root=f"{base}/imgs")
    np.testing.assert_array_equal(it.next().label[0].asnumpy(), [1, 0])
    folder = mx.gluon.data.vision.ImageFolderDataset(f"{base}/imgs")
    assert folder.synsets == ["cat", "dog"] and [label for _, label in folder.items] == [0, 0, 1]
    assert folder[2][0].shape == (12, 16, 3)
    listed = mx.gluon.data.vision.ImageListDataset(f"{base}/imgs", f"{base}/list.lst")
    assert len(listed) == 2 and listed[1][1] == 0.0


@needs_images
def test_image_iter_from_a_remote_record_file(base):
    _write_image_records(f"{base}/img.rec", f"{base}/img.idx")
    it = mx.image.ImageIter(batch_size=3, data_shape=(3, 12, 16), path_imgrec=f"{base}/img.rec",
                            path_imgidx=f"{base}/img.idx", shuffle=True)
    labels = sorted(int(v) for b in it for v in b.label[0].asnumpy())
    assert labels == list(range(6))


def test_text_and_mnist_iterators(base):
    with filesystem.open(f"{base}/data.csv", "w") as f:
        f.write("1,2,3\n4,5,6\n7,8,9\n10,11,12\n")
    batch = mx.io.CSVIter(data_csv=f"{base}/data.csv", data_shape=(3,), batch_size=2).next()
    np.testing.assert_array_equal(batch.data[0].asnumpy(), [[1, 2, 3], [4, 5, 6]])
    with filesystem.open(f"{base}/data.libsvm", "w") as f:
        f.write("1 0:1.5 3:2\n0 1:4\n")
    batch = mx.io.LibSVMIter(data_libsvm=f"{base}/data.libsvm", data_shape=(4,),
                             batch_size=2).next()
    np.testing.assert_array_equal(batch.data[0].tostype("default").asnumpy(),
                                  [[1.5, 0, 0, 2], [0, 4, 0, 0]])
    images = np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28)
    filesystem.write_bytes(f"{base}/img-idx3", np.array([2051, 4, 28, 28], ">u4").tobytes()
                           + images.tobytes())
    filesystem.write_bytes(f"{base}/lab-idx1", np.array([2049, 4], ">u4").tobytes()
                           + bytes([3, 1, 4, 1]))
    it = mx.io.MNISTIter(image=f"{base}/img-idx3", label=f"{base}/lab-idx1", batch_size=4,
                         shuffle=False, silent=True)
    batch = it.next()
    np.testing.assert_array_equal(batch.label[0].asnumpy(), [3, 1, 4, 1])
    np.testing.assert_allclose(batch.data[0].asnumpy()[1, 0], images[1] / 256.0)
    # gluon's MNIST reads the same format from its root (uncompressed names accepted).
    for name, blob in (("train-images-idx3-ubyte", "img-idx3"),
                       ("train-labels-idx1-ubyte", "lab-idx1")):
        _put(f"{base}/mnist/{name}", filesystem.read_bytes(f"{base}/{blob}"))
    mnist = mx.gluon.data.vision.MNIST(root=f"{base}/mnist")
    assert len(mnist) == 4 and mnist[2][1] == 4 and mnist[2][0].shape == (28, 28, 1)


# -- errors ---------------------------------------------------------------------------------
def test_missing_remote_files_raise_mxnet_errors_naming_them(base):
    with pytest.raises(MXNetError, match="nothing.params"):
        mx.nd.load(f"{base}/nothing.params")
    with pytest.raises(MXNetError, match="nothing-symbol.json"):
        mx.sym.load(f"{base}/nothing-symbol.json")
    with pytest.raises(MXNetError, match="nothing.rec"):
        recordio.MXRecordIO(f"{base}/nothing.rec", "r")
    if filesystem.is_remote(base):
        with pytest.raises(MXNetError, match="MNIST.*upload it"):
            mx.gluon.data.vision.MNIST(root=f"{base}/empty")


def test_without_fsspec_a_uri_names_the_scheme_and_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # makes ``import fsspec`` fail
    with pytest.raises(MXNetError, match=r"s3://.*pip install fsspec s3fs"):
        mx.nd.load("s3://bucket/x.params")
    with pytest.raises(MXNetError, match=r"hdfs://.*pip install fsspec pyarrow"):
        recordio.MXRecordIO("hdfs://namenode/data.rec", "r")
    # Local paths and file:// URIs never need it.
    mx.nd.save(str(tmp_path / "a.params"), [mx.nd.ones(2)])
    assert mx.nd.load(f"file://{tmp_path}/a.params")[0].shape == (2,)


@pytest.mark.skipif(not HAVE_FSSPEC, reason="needs fsspec")
def test_missing_filesystem_package_or_unknown_scheme_is_an_mxnet_error(monkeypatch):
    import fsspec

    def no_package(*args, **kwargs):
        raise ImportError("Install adlfs to access Azure Datalake Gen2 and Azure Blob Storage")

    with pytest.raises(MXNetError, match="fsspec knows no filesystem for nosuch://"):
        mx.nd.load("nosuch://bucket/x.params")
    monkeypatch.setattr(fsspec, "open", no_package)
    with pytest.raises(MXNetError, match=r"az://.*pip install fsspec adlfs"):
        mx.nd.load("az://container/x.params")


def test_uri_recognition_and_join():
    assert filesystem.is_remote("s3://b/k") and filesystem.is_remote("simplecache::s3://b/k")
    assert filesystem.is_remote("https://host/x.rec")
    for local in ("file:///tmp/x", "/tmp/x", "rel/x", "C:/data/x", "C:\\data\\x", b"s3://b"):
        assert not filesystem.is_remote(local)
    assert filesystem.join("s3://b/root/", "a", "/b.png") == "s3://b/root/a/b.png"
    assert filesystem.join("/root", "a") == os.path.join("/root", "a")
