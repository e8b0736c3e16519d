"""``mx.model``: checkpoint files byte-compatible with MXNet 1.9.1 and the
legacy ``FeedForward`` estimator."""
import os
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import model

from . import BATCH, bn_net, data, mlp
from .test_module import ARRAYS, FIXTURES, SGD


def _read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("name", ["mlp", "bn"])
def test_checkpoint_written_here_is_byte_identical_to_mxnet(tmp_path, name):
    symbol, args, auxs = model.load_checkpoint(os.path.join(FIXTURES, name), 0)
    prefix = str(tmp_path / name)
    model.save_checkpoint(prefix, 0, symbol, args, auxs)
    for suffix in ("-symbol.json", "-0000.params"):
        assert _read(prefix + suffix) == _read(os.path.join(FIXTURES, name + suffix)), suffix


def test_load_checkpoint_splits_arg_and_aux_params():
    symbol, args, auxs = model.load_checkpoint(os.path.join(FIXTURES, "bn"), 0)
    assert symbol.tojson() == bn_net(mx).tojson()
    assert sorted(auxs) == ["bn1_moving_mean", "bn1_moving_var"]
    assert sorted(args) == sorted(n for n in bn_net(mx).list_arguments()
                                  if n not in ("data", "softmax_label"))


def test_save_checkpoint_without_symbol_writes_only_params(tmp_path):
    model.save_checkpoint(str(tmp_path / "p"), 7, None, {"w": mx.nd.ones((2,))}, {})
    assert os.listdir(tmp_path) == ["p-0007.params"]
    assert model.load_params(str(tmp_path / "p"), 7)[0]["w"].asnumpy().tolist() == [1, 1]


def _feedforward(**kwargs):
    _, args, auxs = model.load_checkpoint(os.path.join(FIXTURES, "mlp"), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return model.FeedForward(mlp(mx), arg_params=args, aux_params=auxs, **kwargs)


def test_feedforward_fit_matches_module_fit_in_mxnet():
    net = _feedforward(num_epoch=3, optimizer="sgd", **SGD)
    x, y = data()
    net.fit(mx.io.NDArrayIter(x, y, BATCH, shuffle=False))
    for name, value in net.arg_params.items():
        np.testing.assert_allclose(value.asnumpy(), ARRAYS[f"mlp/arg/{name}"], rtol=1e-4,
                                   atol=1e-5, err_msg=name)
    val = mx.io.NDArrayIter(x[:24], y[:24], BATCH, shuffle=False)
    np.testing.assert_allclose(net.predict(val), ARRAYS["mlp/predict"], rtol=1e-4, atol=1e-5)
    assert net.score(val) == pytest.approx(0.9583333)


def test_feedforward_numpy_input_save_and_load(tmp_path):
    net = _feedforward(num_epoch=1, numpy_batch_size=BATCH)
    x, y = data()
    net.fit(x, y)
    out, seen, labels = net.predict(x, return_data=True)
    assert out.shape == (36, 3) and seen.shape == (36, 6) and labels.shape == (36,)
    prefix = str(tmp_path / "ff")
    net.save(prefix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        again = model.FeedForward.load(prefix, 1, numpy_batch_size=BATCH)
    np.testing.assert_allclose(again.predict(x), out, rtol=1e-6)
    with pytest.raises(ValueError, match="y must be specified"):
        net.fit(x)
