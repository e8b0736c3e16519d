"""The .params / mx.nd.save file format, checked against files real MXNet 1.9.1 wrote.

Fixtures come from tools/make_fixtures_params.py; expected.json says what
MXNet loads from each file and how to write it again.
"""
import json
import pathlib
import struct

import numpy as np
import pytest

from mxnet.base import MXNetError
from mxnet.ndarray.serialization import BFLOAT16, DTYPE_FLAGS, dumps, loads

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "params"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
ALL_DTYPES = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool",
              "bfloat16"]


def fixture_bytes(name):
    return (FIXTURES / f"{name}.params").read_bytes()


def dense(entry):
    if entry["dtype"] == "bfloat16":
        values = np.array(entry["values"], np.uint16).view(BFLOAT16)
    else:
        values = np.array(entry["values"], entry["dtype"])
    return values.reshape(entry["shape"])


def expected_array(entry):
    if entry["stype"] == "row_sparse":
        return ("row_sparse", dense(entry["data"]), dense(entry["indices"]), tuple(entry["shape"]))
    if entry["stype"] == "csr":
        return ("csr", dense(entry["data"]), dense(entry["indptr"]), dense(entry["indices"]),
                tuple(entry["shape"]))
    return dense(entry)


def assert_same(got, want):
    """Equal dtype, shape and bits (so NaN, -0.0 and bfloat16 compare exactly)."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        assert got[0] == want[0] and got[-1] == want[-1]
        for g, w in zip(got[1:-1], want[1:-1]):
            assert_same(g, w)
        return
    assert isinstance(got, np.ndarray)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loads_matches_what_mxnet_loads(name):
    spec = EXPECTED[name]
    arrays, names = loads(fixture_bytes(name))
    assert names == (spec["names"] or [])
    assert len(arrays) == len(spec["arrays"])
    for got, entry in zip(arrays, spec["arrays"]):
        assert_same(got, expected_array(entry))


@pytest.mark.parametrize("name", sorted(n for n, s in EXPECTED.items() if s["byte_exact"]))
def test_dumps_is_byte_identical_to_mxnet(name):
    spec = EXPECTED[name]
    arrays = [expected_array(e) for e in spec["arrays"]]
    assert dumps(arrays, spec["names"], **spec["dumps_kwargs"]) == fixture_bytes(name)


@pytest.mark.parametrize("name", ["legacy_v0", "legacy_v1"])
def test_legacy_records_are_rewritten_as_v2(name):
    arrays, _ = loads(fixture_bytes(name))
    rewritten = dumps(arrays)
    assert struct.unpack_from("<I", rewritten, 24)[0] == 0xF993FAC9
    assert_same(loads(rewritten)[0][0], arrays[0])


def test_dtype_flags_match_mxnet():
    assert {str(d) if d != BFLOAT16 else "bfloat16": f for d, f in DTYPE_FLAGS.items()} == {
        "float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
        "int64": 6, "bool": 7, "bfloat16": 12}


def random_array(dtype, shape, rng):
    if dtype == "bfloat16":
        return rng.integers(0, 2**16, size=shape, dtype=np.uint16).view(BFLOAT16).reshape(shape)
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if np.dtype(dtype).kind == "f":
        return np.asarray(rng.standard_normal(shape) * 100, dtype=dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("np_shape", [False, True])
def test_round_trip_every_dtype(dtype, np_shape):
    rng = np.random.default_rng(7)
    shapes = [(), (1,), (5,), (3, 4), (2, 0, 3), (2, 1, 3, 1, 2)]
    arrays = [random_array(dtype, s, rng) for s in shapes]
    for names in (None, [f"arg:w{i}" for i in range(len(arrays))]):
        got, got_names = loads(dumps(arrays, names, np_shape=np_shape))
        assert got_names == (names or [])
        for g, w in zip(got, arrays):
            assert_same(g, w)


def test_round_trip_sparse_and_dense_mixed():
    rng = np.random.default_rng(3)
    items = [("row_sparse", rng.standard_normal((2, 4, 2)), np.array([0, 5]), (6, 4, 2)),
             ("csr", np.arange(4, dtype=np.int32), np.array([0, 2, 2, 4]),
              np.array([1, 3, 0, 2]), (3, 5)),
             random_array("float16", (3,), rng)]
    got, names = loads(dumps(items, ["a", "b", "c"]))
    assert names == ["a", "b", "c"]
    for g, w in zip(got, items):
        assert_same(g, w)


def test_dumps_writes_non_contiguous_and_big_endian_arrays_in_mxnet_order():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    want = dumps([np.ascontiguousarray(base.T)])
    assert dumps([base.T]) == want
    assert dumps([base.T.astype(">f4")]) == want
    assert loads(want)[0][0].dtype == np.float32


def test_empty_list_and_empty_dict_are_the_same_bytes():
    assert dumps([]) == dumps([], []) == fixture_bytes("empty_list")
    assert loads(fixture_bytes("empty_list")) == ([], [])


def test_loaded_arrays_are_writable_copies():
    buf = bytearray(fixture_bytes("list_float32"))
    arrays, _ = loads(buf)
    arrays[0][0] = 42.0
    buf[:] = bytes(len(buf))
    assert arrays[0][0] == 42.0


def test_trailing_bytes_are_ignored_like_mxnet():
    arrays, names = loads(fixture_bytes("dict_dtypes") + b"junk")
    assert len(arrays) == 9 and names[0] == "w_float32"


@pytest.mark.parametrize("name", ["sparse", "dict_dtypes", "np_shape", "scalar_v2",
                                  "legacy_v0", "legacy_v1", "unicode_names"])
def test_every_truncation_raises_mxnet_error(name):
    data = fixture_bytes(name)
    for end in range(len(data)):
        with pytest.raises(MXNetError, match="offset"):
            loads(data[:end])


def test_random_corruption_never_escapes_as_another_error():
    rng = np.random.default_rng(0)
    sources = [bytearray(fixture_bytes(n)) for n in ("sparse", "dict_dtypes", "legacy_v0")]
    for trial in range(3000):
        data = bytearray(sources[trial % len(sources)])
        for pos in rng.integers(0, len(data), size=rng.integers(1, 4)):
            data[pos] = rng.integers(0, 256)
        try:
            loads(bytes(data))
        except MXNetError:
            pass


def patched(data, offset, fmt, *values):
    data = bytearray(data)
    struct.pack_into("<" + fmt, data, offset, *values)
    return bytes(data)


# Offsets in list_float32.params: header 0-23, then the first record:
# magic 24, storage type 28, ndim 32, dims 36, context 44, dtype flag 52.
ONE = fixture_bytes("list_float32")


@pytest.mark.parametrize("data, message", [
    (patched(ONE, 0, "Q", 0x113), "offset 0: expected list magic 0x112, got 0x113"),
    (patched(ONE, 24, "I", 0xDEADBEEF), "offset 24: array 0: expected magic 0xF993FAC9"),
    (patched(ONE, 28, "i", 7), "offset 28: array 0: unknown storage type 7"),
    (patched(ONE, 32, "i", 1000), "ndim must be in"),
    (patched(ONE, 32, "i", -1), "unknown \\(ndim -1\\)"),
    (patched(ONE, 36, "q", -3), "negative dimension"),
    (patched(ONE, 36, "q", 2**62), "truncated: array 0 values"),
    (patched(ONE, 52, "i", 8), "offset 52: unknown array 0 dtype flag 8"),
    # a huge count just reads on: the name count is taken for a 4th record
    (patched(ONE, 16, "Q", 2**63), "offset 196: array 3"),
    (patched(ONE, len(ONE) - 8, "Q", 2), "expected 0 or 3 names .*got 2"),
    (ONE[:-8] + struct.pack("<QQ", 3, 2**60), "truncated: name 0 needs"),
    (ONE[:-8] + struct.pack("<QQ", 3, 1) + b"\xff", "name 0 is not UTF-8"),
    (struct.pack("<QQQI", 0x112, 0, 1, 0), "legacy record with empty shape"),
    (struct.pack("<QQQIii3qiii", 0x112, 0, 1, 0xF993FAC9, 0, 3, 0, 2**62, 2**62, 1, 0, 0),
     "array 0 cannot be built"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_input_raises_a_clear_mxnet_error(data, message):
    with pytest.raises(MXNetError, match=message):
        loads(data)


def test_inconsistent_sparse_record_is_rejected():
    good = dumps([("row_sparse", np.ones((2, 3), np.float32), np.array([0, 1]), (4, 3))])
    # logical shape (4, 3) -> (4, 5): the stored rows no longer fit it
    with pytest.raises(MXNetError, match="inconsistent row_sparse"):
        loads(patched(good, 24 + 8 + 20 + 12, "q", 5))


@pytest.mark.parametrize("arrays, names, kwargs, message", [
    ([np.zeros(2, np.int16)], None, {}, "dtype int16"),
    ([np.zeros(2, np.complex64)], None, {}, "dtype complex64"),
    ([np.zeros(2)], ["a", "b"], {}, "1 arrays but 2 names"),
    ([np.zeros(2)], [3], {}, "names must be str"),
    ([[1.0, 2.0]], None, {}, "expected a numpy.ndarray"),
    ([("row_sparse", np.zeros((1, 2)), np.array([0]), (3, 2))], None, {"np_shape": True},
     "only saves dense"),
    ([("row_sparse", np.zeros((2, 2)), np.array([0]), (3, 2))], None, {}, "inconsistent"),
    ([("csr", np.zeros(2), np.array([0, 2]), np.array([0, 1]), (2, 2))], None, {},
     "inconsistent csr"),
    ([("coo", np.zeros(2), (2,))], None, {}, "unknown storage type 'coo'"),
    ([np.zeros(2)], None, {"contexts": []}, "1 arrays but 0 contexts"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_dumps_rejects_what_mxnet_files_cannot_hold(arrays, names, kwargs, message):
    with pytest.raises(MXNetError, match=message):
        dumps(arrays, names, **kwargs)
