"""The legacy symbolic RNN API (``mx.rnn``): cells, unrolling, weight
(un)packing, the bucketing sentence iterator and RNN checkpoints.

Names, shapes and literal values are MXNet 1.9.1's; numbers are checked
against NumPy formulas or against the same network built another way."""
import os

import numpy as np
import pytest

import mxnet as mx


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _run(sym, args):
    exe = sym.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in args.items()})
    return [o.asnumpy() for o in exe.forward()]


def _random_args(sym, data_shape, seed=0):
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=data_shape)[0]))
    rng = np.random.RandomState(seed)
    return {k: rng.uniform(-0.5, 0.5, s).astype("float32") for k, s in shapes.items()}


def test_lstm_cell_unroll_names_and_numbers():
    cell = mx.rnn.LSTMCell(4, prefix="lstm_")
    outputs, states = cell.unroll(2, mx.sym.var("data"), layout="TNC")
    assert [o.name for o in outputs] == ["lstm_t0_out", "lstm_t1_out"]
    assert [s.name for s in states] == ["lstm_t1_out", "lstm_t1_state"]
    assert outputs[0].list_arguments() == ["data", "lstm_i2h_weight", "lstm_i2h_bias",
                                           "lstm_h2h_weight", "lstm_h2h_bias"]
    assert cell.state_info == [{"shape": (0, 4), "__layout__": "NC"}] * 2
    # begin_state keeps counting across calls, as in MXNet
    assert [s.name for s in cell.begin_state()] == ["lstm_begin_state_2",
                                                    "lstm_begin_state_3"]
    group = mx.sym.Group(outputs + states[1:])
    args = _random_args(group, (2, 3, 5))
    got = _run(group, args)
    h = c = np.zeros((3, 4), "float32")
    for t in range(2):
        gates = args["data"][t] @ args["lstm_i2h_weight"].T + args["lstm_i2h_bias"] \
            + h @ args["lstm_h2h_weight"].T + args["lstm_h2h_bias"]
        i, f, g, o = np.split(gates, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2], c, rtol=1e-5, atol=1e-6)


def test_gru_and_rnn_cells_step_like_numpy():
    data = mx.sym.var("data")
    gru_out, _ = mx.rnn.GRUCell(3, prefix="g_").unroll(1, data, layout="TNC")
    rnn_out, _ = mx.rnn.RNNCell(3, activation="relu", prefix="r_").unroll(1, data,
                                                                          layout="TNC")
    assert gru_out[0].name == "g_t0_out" and rnn_out[0].name == "r_t0_out"
    args = _random_args(gru_out[0], (1, 2, 4))
    x = args["data"][0]
    i2h = np.split(x @ args["g_i2h_weight"].T + args["g_i2h_bias"], 3, axis=1)
    h2h = np.split(args["g_h2h_bias"] + np.zeros((2, 9), "float32"), 3, axis=1)
    r, z = _sigmoid(i2h[0] + h2h[0]), _sigmoid(i2h[1] + h2h[1])
    expected = (1 - z) * np.tanh(i2h[2] + r * h2h[2])
    np.testing.assert_allclose(_run(gru_out[0], args)[0], expected, rtol=1e-5, atol=1e-6)
    args = _random_args(rnn_out[0], (1, 2, 4))
    expected = np.maximum(args["data"][0] @ args["r_i2h_weight"].T + args["r_i2h_bias"]
                          + args["r_h2h_bias"], 0)
    np.testing.assert_allclose(_run(rnn_out[0], args)[0], expected, rtol=1e-5, atol=1e-6)


def test_unpack_and_pack_gate_weights():
    cell = mx.rnn.LSTMCell(2, prefix="l_")
    args = {"l_i2h_weight": mx.nd.arange(24).reshape((8, 3)), "l_i2h_bias": mx.nd.arange(8),
            "l_h2h_weight": mx.nd.arange(16).reshape((8, 2)), "l_h2h_bias": mx.nd.arange(8)}
    unpacked = cell.unpack_weights(args)
    assert sorted(unpacked) == sorted(f"l_{g}_{gate}_{k}" for g in ("i2h", "h2h")
                                      for gate in "ifco" for k in ("weight", "bias"))
    np.testing.assert_array_equal(unpacked["l_i2h_f_weight"].asnumpy(),
                                  np.arange(24).reshape((8, 3))[2:4])
    packed = cell.pack_weights(unpacked)
    for name, value in args.items():
        np.testing.assert_array_equal(packed[name].asnumpy(), value.asnumpy())


def test_fused_cell_layout_matches_mxnet_and_its_unfused_stack():
    fused = mx.rnn.FusedRNNCell(4, num_layers=2, mode="gru", bidirectional=True,
                                get_next_state=True, prefix="f_")
    outputs, states = fused.unroll(3, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    assert fused.state_info == [{"shape": (4, 0, 4), "__layout__": "LNC"}]
    assert len(states) == 1
    size = outputs.infer_shape(data=(3, 2, 6))[0][1][0]
    assert size == 624
    unpacked = fused.unpack_weights({"f_parameters": mx.nd.arange(size)})
    assert len(unpacked) == 48
    # offsets in the packed vector, from MXNet 1.9.1
    np.testing.assert_array_equal(unpacked["f_l1_h2h_z_weight"][0, :3].asnumpy(), [352, 353, 354])
    np.testing.assert_array_equal(unpacked["f_r0_i2h_r_bias"][:3].asnumpy(), [552, 553, 554])
    repacked = fused.pack_weights(unpacked)["f_parameters"].asnumpy()
    np.testing.assert_array_equal(repacked, np.arange(size))

    rng = np.random.RandomState(1)
    x = rng.randn(3, 2, 6).astype("float32")
    params = rng.uniform(-0.4, 0.4, size).astype("float32")
    fused_out = _run(outputs, {"data": x, "f_parameters": params})[0]
    stack = fused.unfuse()
    unfused_out, _ = stack.unroll(3, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    per_cell = stack.pack_weights(fused.unpack_weights({"f_parameters": mx.nd.array(params)}))
    got = _run(unfused_out, dict({k: v.asnumpy() for k, v in per_cell.items()}, data=x))[0]
    np.testing.assert_allclose(got, fused_out, rtol=1e-4, atol=1e-5)


def test_fused_cell_warns_for_batch_major_layout():
    with pytest.warns(UserWarning, match="NTC layout detected"):
        mx.rnn.FusedRNNCell(3, prefix="w_").unroll(2, mx.sym.var("data"), layout="NTC")


def test_bidirectional_sequential_and_modifier_cells():
    bi = mx.rnn.BidirectionalCell(mx.rnn.LSTMCell(4, prefix="l_"), mx.rnn.GRUCell(4, prefix="r_"))
    outputs, states = bi.unroll(3, mx.sym.var("data"), merge_outputs=False)
    assert [o.name for o in outputs] == ["bi_t0", "bi_t1", "bi_t2"]
    assert [[s.name for s in part] for part in states] == [["l_t2_out", "l_t2_state"],
                                                            ["r_t2_out"]]
    merged, _ = bi.unroll(3, mx.sym.var("data"), merge_outputs=True)
    assert merged.list_outputs() == ["bi_out_output"]
    assert merged.infer_shape(data=(2, 3, 5))[1] == [(2, 3, 8)]

    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.LSTMCell(3, prefix="a_"))
    stack.add(mx.rnn.DropoutCell(0.5))
    stack.add(mx.rnn.ResidualCell(mx.rnn.RNNCell(3, prefix="b_")))
    outputs, states = stack.unroll(2, mx.sym.var("data"))
    assert [s.name for s in states] == ["a_t1_out", "a_t1_state", "b_t1_out"]
    assert outputs[1].name == "b_t1_out_plus_residual"
    zone = mx.rnn.ZoneoutCell(mx.rnn.RNNCell(3, prefix="z_"), 0.2, 0.3)
    outputs, states = zone.unroll(2, mx.sym.var("data"))
    assert outputs[0].infer_shape(data=(2, 2, 3))[1] == [(2, 3)]

    with pytest.raises(mx.base.MXNetError, match="Please unfuse first"):
        mx.rnn.ZoneoutCell(mx.rnn.FusedRNNCell(3))
    with pytest.raises(NotImplementedError, match="cannot be stepped"):
        bi(mx.sym.var("x"), [])
    base = mx.rnn.LSTMCell(3)
    mx.rnn.ResidualCell(base)
    with pytest.raises(mx.base.MXNetError, match="cannot be called directly"):
        base.begin_state()


def test_shared_params():
    params = mx.rnn.RNNParams("shared_")
    a = mx.rnn.LSTMCell(3, prefix="x_", params=params)
    b = mx.rnn.LSTMCell(3, prefix="y_", params=params)
    assert a._iW is b._iW and a._iW.name == "shared_i2h_weight"
    assert sorted(params._params) == ["shared_h2h_bias", "shared_h2h_weight",
                                      "shared_i2h_bias", "shared_i2h_weight"]


def test_encode_sentences():
    # results of MXNet 1.9.1
    assert mx.rnn.encode_sentences([["a", "b"], ["b", "c"]], invalid_label=0, start_label=0) \
        == ([[1, 2], [2, 3]], {"\n": 0, "a": 1, "b": 2, "c": 3})
    assert mx.rnn.encode_sentences([["a", "x"]], vocab={"a": 1, "\n": 0},
                                   unknown_token="<unk>", invalid_label=0, start_label=1) \
        == ([[1, 1]], {"a": 1, "\n": 0, "<unk>": 1})
    with pytest.raises(mx.base.MXNetError, match="Unknown token x"):
        mx.rnn.encode_sentences([["a", "x"]], vocab={"a": 1})


def test_bucket_sentence_iter(capsys):
    sentences = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [1], [2, 3, 4, 5], [5, 6, 7],
                 list(range(1, 12))]
    it = mx.rnn.BucketSentenceIter(sentences, batch_size=2, buckets=[3, 5], invalid_label=0)
    assert "discarded 1 sentences" in capsys.readouterr().out
    assert it.default_bucket_key == 5
    assert it.provide_data[0].shape == (2, 5) and it.provide_data[0].name == "data"
    batches = list(it)
    assert sorted(b.bucket_key for b in batches) == [3, 3, 5]
    for batch in batches:
        data, label = batch.data[0].asnumpy(), batch.label[0].asnumpy()
        assert data.shape == (2, batch.bucket_key)
        np.testing.assert_array_equal(label[:, :-1], data[:, 1:])
        assert (label[:, -1] == 0).all()
        assert batch.provide_data[0].shape == data.shape
    it.reset()
    assert len(list(it)) == 3
    tn = mx.rnn.BucketSentenceIter(sentences, batch_size=2, buckets=[3, 5], layout="TN",
                                   data_name="d", label_name="l", dtype="int32")
    assert tn.provide_label[0].shape == (5, 2) and tn.provide_label[0].name == "l"
    batch = next(iter(tn))
    assert batch.data[0].shape == (batch.bucket_key, 2) and batch.data[0].dtype == np.int32
    with pytest.raises(mx.base.MXNetError, match="Invalid layout"):
        mx.rnn.BucketSentenceIter(sentences, 2, buckets=[3], layout="NTC")


def test_rnn_checkpoints_store_unpacked_weights(tmp_path):
    cell = mx.rnn.FusedRNNCell(3, mode="lstm", prefix="f_")
    outputs, _ = cell.unroll(2, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    size = outputs.infer_shape(data=(2, 1, 4))[0][1][0]
    params = {"f_parameters": mx.nd.arange(size)}
    prefix = str(tmp_path / "ck")
    mx.rnn.save_rnn_checkpoint(cell, prefix, 3, outputs, params, {})
    saved = mx.nd.load(prefix + "-0003.params")
    assert "arg:f_l0_i2h_f_weight" in saved and "arg:f_parameters" not in saved
    _, args, aux = mx.rnn.load_rnn_checkpoint([cell], prefix, 3)
    assert list(args) == ["f_parameters"] and aux == {}
    np.testing.assert_array_equal(args["f_parameters"].asnumpy(), np.arange(size))
    callback = mx.rnn.do_rnn_checkpoint(cell, prefix, period=2)
    callback(0, outputs, params, {})
    callback(1, outputs, params, {})
    assert sorted(os.listdir(tmp_path)) == ["ck-0002.params", "ck-0003.params", "ck-symbol.json"]


def test_bucketing_module_trains_a_legacy_lstm():
    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.LSTMCell(8, prefix="l0_"))

    def sym_gen(seq_len):
        embed = mx.sym.Embedding(mx.sym.var("data"), input_dim=10, output_dim=4, name="embed")
        stack.reset()
        outputs, _ = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.FullyConnected(mx.sym.Reshape(outputs, shape=(-1, 8)), num_hidden=10,
                                     name="pred")
        label = mx.sym.Reshape(mx.sym.var("softmax_label"), shape=(-1,))
        out = mx.sym.SoftmaxOutput(pred, label, name="softmax", use_ignore=True, ignore_label=0)
        return out, ("data",), ("softmax_label",)

    rng = np.random.RandomState(0)
    # each next word is the current one plus one (wrapping 9 to 1): learnable
    sentences = [[(s + t) % 9 + 1 for t in range(n)]
                 for s, n in zip(rng.randint(0, 9, size=40), rng.randint(2, 7, size=40))]
    it = mx.rnn.BucketSentenceIter(sentences, batch_size=4, buckets=[3, 6], invalid_label=0)
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=it.default_bucket_key)
    metric = mx.metric.Perplexity(0)
    mod.fit(it, eval_metric=metric, optimizer="adam",
            optimizer_params={"learning_rate": 0.05}, num_epoch=4, initializer=mx.init.Xavier())
    assert sorted(mod._buckets) == [3, 6]
    it.reset()
    assert mod.score(it, mx.metric.Perplexity(0))[0][1] < 2
