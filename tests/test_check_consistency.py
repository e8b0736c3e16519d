"""``mx.test_utils.check_consistency``: a symbol on several contexts and dtypes."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.test_utils import check_consistency


def _conv():
    return mx.sym.Convolution(num_filter=3, kernel=(3, 3), name="conv")


def test_float32_and_float64_convolution_agree_and_the_reference_is_float64():
    ctx_list = [{"ctx": mx.cpu(0), "conv_data": (2, 2, 7, 7),
                 "type_dict": {"conv_data": dtype}} for dtype in (np.float32, np.float64)]
    gt = check_consistency(_conv(), ctx_list)
    assert gt["conv_output"].dtype == np.float64
    assert gt["conv_weight"].shape == (3, 2, 3, 3)  # gradients are part of the reference


def test_one_symbol_per_context_entry_and_given_inputs():
    data = np.arange(6, dtype=np.float64).reshape(2, 3)
    syms = [mx.sym.exp(mx.sym.var("x")), mx.sym.exp(mx.sym.var("x"))]
    ctx_list = [{"ctx": mx.cpu(0), "x": (2, 3), "type_dict": {"x": t}}
                for t in (np.float64, np.float32)]
    gt = check_consistency(syms, ctx_list, arg_params={"x": data})
    np.testing.assert_allclose(gt[syms[0].list_outputs()[0]], np.exp(data))


def test_a_wrong_ground_truth_fails_unless_errors_are_only_printed(capsys):
    sym = mx.sym.relu(mx.sym.var("x"), name="r")
    ctx_list = [{"ctx": mx.cpu(0), "x": (4,)}]
    wrong = {"r_output": np.full((4,), 7.0)}
    with pytest.raises(AssertionError):
        check_consistency(sym, ctx_list, ground_truth=wrong, grad_req="null")
    check_consistency(sym, ctx_list, ground_truth=wrong, grad_req="null", raise_on_err=False)
    assert "r_output" in capsys.readouterr().out


def test_float16_is_compared_with_float16_tolerances():
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=8, name="fc")
    ctx_list = [{"ctx": mx.cpu(0), "data": (4, 16), "type_dict": {"data": t}}
                for t in (np.float16, np.float32)]
    check_consistency(sym, ctx_list, scale=0.5)


def test_bad_context_lists_raise():
    with pytest.raises(MXNetError, match="ctx_list"):
        check_consistency(_conv(), [])
    with pytest.raises(MXNetError, match="'ctx'"):
        check_consistency(_conv(), [{"conv_data": (1, 1, 4, 4)}])
    with pytest.raises(MXNetError, match="one per ctx_list"):
        check_consistency([_conv(), _conv()], [{"ctx": mx.cpu(), "conv_data": (1, 1, 4, 4)}])
