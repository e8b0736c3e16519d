"""Ops whose declarations follow MXNet 1.9.1 (output names, inputs taken only
under some parameters, aux states): graphs built on them bind and compute what
the same calls compute imperatively. The names themselves are checked against
MXNet's text in test_json_entries.py."""
import numpy as np
import pytest

import mxnet as mx

RNG = np.random.default_rng(0)


def _run(sym, **inputs):
    """Forward (and backward with ones) of ``sym`` bound to the given arrays."""
    args = {k: mx.nd.array(v) for k, v in inputs.items()}
    grads = {k: mx.nd.zeros(v.shape) for k, v in inputs.items()}
    ex = sym.bind(mx.cpu(), args, args_grad=grads)
    outs = [o.asnumpy() for o in ex.forward(is_train=True)]
    ex.backward([mx.nd.ones(o.shape) for o in outs])
    return outs, {k: g.asnumpy() for k, g in grads.items()}


def _nd_run(fn, **inputs):
    """``fn`` of NDArrays under autograd: its outputs and the gradients of their sum."""
    args = {k: mx.nd.array(v) for k, v in inputs.items()}
    for a in args.values():
        a.attach_grad()
    with mx.autograd.record():
        out = fn(**args)
    outs = out if isinstance(out, (list, tuple)) else [out]
    mx.autograd.backward(list(outs), [mx.nd.ones(o.shape) for o in outs])
    return [o.asnumpy() for o in outs], {k: a.grad.asnumpy() for k, a in args.items()}


@pytest.mark.parametrize("op", ["SequenceMask", "SequenceLast", "SequenceReverse"])
def test_sequence_op_without_lengths_has_one_argument_and_matches_nd(op):
    x = RNG.normal(size=(4, 3, 2)).astype(np.float32)
    sym = getattr(mx.sym, op)(mx.sym.var("x"))
    assert sym.list_arguments() == ["x"]
    outs, grads = _run(sym, x=x)
    nd_outs, nd_grads = _nd_run(lambda x: getattr(mx.nd, op)(x), x=x)
    np.testing.assert_allclose(outs[0], nd_outs[0], rtol=1e-6)
    np.testing.assert_allclose(grads["x"], nd_grads["x"], rtol=1e-6)


@pytest.mark.parametrize("op", ["SequenceMask", "SequenceLast", "SequenceReverse"])
def test_sequence_op_with_lengths_creates_and_uses_them(op):
    x = RNG.normal(size=(4, 3, 2)).astype(np.float32)
    lengths = np.array([1, 4, 2], dtype=np.float32)
    with mx.name.NameManager():
        sym = getattr(mx.sym, op)(mx.sym.var("x"), use_sequence_length=True, name="seq")
    assert sym.list_arguments() == ["x", "seq_sequence_length"]
    ex = sym.bind(mx.cpu(), {"x": mx.nd.array(x), "seq_sequence_length": mx.nd.array(lengths)})
    expected = getattr(mx.nd, op)(mx.nd.array(x), mx.nd.array(lengths),
                                  use_sequence_length=True)
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), expected.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("op", ["SequenceMask", "SequenceLast", "SequenceReverse"])
def test_sequence_op_refuses_lengths_it_would_not_use(op):
    with pytest.raises(mx.base.MXNetError, match=op):
        getattr(mx.sym, op)(mx.sym.var("x"), mx.sym.var("n"))


def test_gelqf_outputs_by_index_keep_their_positions():
    a = RNG.normal(size=(2, 3)).astype(np.float32)
    sym = mx.sym.linalg.gelqf(mx.sym.var("a"), name="lq")
    assert sym.list_outputs() == ["lq_output0", "lq_output1"]
    outs, grads = _run(sym, a=a)
    nd_outs, nd_grads = _nd_run(lambda a: mx.nd.linalg.gelqf(a), a=a)
    for got, want in zip(outs, nd_outs):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads["a"], nd_grads["a"], rtol=1e-4, atol=1e-5)
    q, low = outs
    np.testing.assert_allclose(low @ q, a, rtol=1e-5, atol=1e-5)


def test_hybridized_block_unpacks_renamed_outputs_by_position():
    class LQ(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            q, low = F.linalg.gelqf(x)
            mean, var = F.moments(x, axes=(1,))
            part = F.split(x, num_outputs=1)  # one part: an array, not a list
            return F.linalg.gemm2(low, q) + part, mean + var

    x = mx.nd.array(RNG.normal(size=(2, 3)))
    block = LQ()
    eager = [o.asnumpy() for o in block(x)]
    block.hybridize()
    hybrid = [o.asnumpy() for o in block(x)]
    for got, want in zip(hybrid, eager):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hybrid[0], 2 * x.asnumpy(), rtol=1e-5, atol=1e-5)


def test_split_into_one_part_names_it_by_index():
    sym = mx.sym.split(mx.sym.var("x"), num_outputs=1, axis=0, name="s")
    ex = sym.simple_bind(mx.cpu(), x=(2, 3))
    assert list(ex.output_dict) == ["s_output0"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(ex.forward(x=mx.nd.array(x))[0].asnumpy(), x)


def test_quantized_batch_norm_takes_the_data_range_as_arguments():
    with mx.name.NameManager():
        sym = mx.sym.contrib.quantized_batch_norm(
            mx.sym.var("x"), name="qbn", min_calib_range=-2.0, max_calib_range=2.0)
    assert sym.list_arguments() == ["x", "qbn_gamma", "qbn_beta", "qbn_min_data",
                                    "qbn_max_data"]
    assert sym.list_auxiliary_states() == ["qbn_moving_mean", "qbn_moving_var"]
    x = mx.nd.array(RNG.integers(-100, 100, size=(1, 3, 2, 2)), dtype="int8")
    args = {"x": x, "qbn_gamma": mx.nd.array([1.0, 0.5, 2.0]),
            "qbn_beta": mx.nd.array([0.0, 0.1, -0.1]),
            "qbn_min_data": mx.nd.array([-1.0]), "qbn_max_data": mx.nd.array([1.0])}
    aux = {"qbn_moving_mean": mx.nd.array([0.1, 0.0, -0.1]),
           "qbn_moving_var": mx.nd.array([1.0, 2.0, 0.5])}
    outs = sym.bind(mx.cpu(), args, aux_states=aux).forward()
    expected = mx.nd.contrib.quantized_batch_norm(
        x, args["qbn_gamma"], args["qbn_beta"], aux["qbn_moving_mean"],
        aux["qbn_moving_var"], args["qbn_min_data"], args["qbn_max_data"],
        min_calib_range=-2.0, max_calib_range=2.0)
    for got, want in zip(outs, expected):
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())


def test_multinomial_counts_its_probability_output_only_when_asked():
    p = mx.nd.array([[0.0, 1.0], [1.0, 0.0]])
    samples = mx.nd.random.multinomial(p)
    assert isinstance(samples, mx.nd.NDArray)
    np.testing.assert_array_equal(samples.asnumpy(), [1, 0])
    samples, log_p = mx.nd.random.multinomial(p, get_prob=True)
    np.testing.assert_array_equal(log_p.asnumpy(), [0.0, 0.0])
    assert len(mx.sym._internal._sample_multinomial(mx.sym.var("p"))) == 1
    assert len(mx.sym._internal._sample_multinomial(mx.sym.var("p"), get_prob=True)) == 2


def test_deformable_psroi_pooling_without_offsets_has_no_trans_argument():
    kwargs = dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2)
    data = RNG.normal(size=(1, 8, 4, 4)).astype(np.float32)
    rois = np.array([[0, 0, 0, 3, 3]], dtype=np.float32)
    sym = mx.sym.contrib.DeformablePSROIPooling(mx.sym.var("data"), mx.sym.var("rois"),
                                                no_trans=True, **kwargs)
    assert sym.list_arguments() == ["data", "rois"]
    outs, grads = _run(sym, data=data, rois=rois)
    nd_outs, nd_grads = _nd_run(lambda data, rois: mx.nd.contrib.DeformablePSROIPooling(
        data, rois, no_trans=True, **kwargs), data=data, rois=rois)
    np.testing.assert_allclose(outs[0], nd_outs[0], rtol=1e-6)
    np.testing.assert_allclose(grads["data"], nd_grads["data"], rtol=1e-6)


def test_legacy_ops_check_their_arguments_only_when_run():
    # MXNet makes these symbols without the arguments and refuses to run without them
    assert mx.sym._internal._imdecode().list_outputs() == ["_imdecode0_output"]
    assert mx.sym._internal._set_value().list_outputs() == ["_set_value0_output"]
    with pytest.raises(mx.base.MXNetError, match="_imdecode.*index"):
        mx.nd._internal._imdecode(x0=0).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="_set_value.*src"):
        mx.nd._internal._set_value(out=mx.nd.zeros((2,))).wait_to_read()
    out = mx.nd.zeros((2,), dtype="int32")
    mx.nd._internal._set_value(src=2.7, out=out)
    np.testing.assert_array_equal(out.asnumpy(), [2, 2])


def test_image_decoders_name_their_graph_input_data_as_mxnet():
    assert mx.sym._internal._imdecode(name="dec").list_arguments() == ["dec_data"]
    assert mx.sym._internal._cvimdecode(name="cv").list_arguments() == ["cv_data"]
