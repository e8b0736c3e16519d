"""``mx.mod.Module`` and ``BucketingModule`` against MXNet 1.9.1: training from
the same starting parameters reaches MXNet's parameters, metrics and
predictions; checkpoints move both ways; data parallelism over two devices
equals one device; plus the binding/initialisation rules."""
import json
import os
import warnings

import numpy as np
import pytest

import mxnet as mx
import mxnet.module as mod_api
from mxnet import model
from mxnet.base import MXNetError
from mxnet.monitor import Monitor

from . import (BATCH, bn_net, bucket_batches, bucket_sym_gen, data, mlp, mlp_stages,
               softmax_grad)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "module")
RESULTS = json.load(open(os.path.join(FIXTURES, "results.json")))
ARRAYS = dict(np.load(os.path.join(FIXTURES, "results.npz")))
SGD = {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4}
CASES = {  # case -> (network, context, epochs, optimizer, optimizer params)
    "mlp": (mlp, mx.cpu(), 3, "sgd", SGD),
    "mlp_multi": (mlp, [mx.cpu(0), mx.cpu(1)], 3, "sgd", SGD),
    "mlp_adam": (mlp, mx.cpu(), 2, "adam", {"learning_rate": 0.01}),
    "bn": (bn_net, mx.cpu(), 2, "sgd", SGD),
}


def _iters():
    x, y = data()
    return (mx.io.NDArrayIter(x, y, BATCH, shuffle=False),
            mx.io.NDArrayIter(x[:24], y[:24], BATCH, shuffle=False))


def _fit(case, **extra):
    net, ctx, epochs, optimizer, params = CASES[case]
    args, auxs = model.load_params(os.path.join(FIXTURES, case.split("_")[0]), 0)
    train, val = _iters()
    mod = mod_api.Module(net(mx), context=ctx)
    batches = []
    mod.fit(train, eval_data=val, num_epoch=epochs, optimizer=optimizer,
            optimizer_params=params, arg_params=args, aux_params=auxs,
            batch_end_callback=lambda p: batches.append(
                [p.epoch, p.nbatch, p.eval_metric.get_name_value()[0][1]]), **extra)
    return mod, batches, val


def _close(actual, expected, what=""):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=what)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_reaches_mxnet_parameters_metrics_and_predictions(case):
    mod, batches, val = _fit(case)
    assert batches == RESULTS[case]["batches"]
    arg_params, aux_params = mod.get_params()
    for name, value in arg_params.items():
        _close(value.asnumpy(), ARRAYS[f"{case}/arg/{name}"], name)
    for name, value in aux_params.items():
        _close(value.asnumpy(), ARRAYS[f"{case}/aux/{name}"], name)
    score = mod.score(val, ["acc", "ce"])
    assert [n for n, _ in score] == [n for n, _ in RESULTS[case]["score"]]
    _close([v for _, v in score], [v for _, v in RESULTS[case]["score"]])
    _close(mod.predict(val).asnumpy(), ARRAYS[f"{case}/predict"])


def test_fit_logs_train_and_validation_metrics_like_mxnet(caplog):
    with caplog.at_level("INFO"):
        _fit("mlp")
    lines = [r.getMessage() for r in caplog.records]
    expected = [f"Epoch[{e}] {kind}-{name}={value:f}" for e, kind, name, value in
                RESULTS["mlp"]["log"]]
    assert [line for line in lines if "Train-" in line or "Validation-" in line] == expected
    assert sum(line.startswith("Epoch[0] Time cost=") for line in lines) == 1


def test_two_devices_train_like_one():
    one, _, val = _fit("mlp")
    two = mod_api.Module(mlp(mx), context=[mx.cpu(0), mx.cpu(1)])
    args, auxs = model.load_params(os.path.join(FIXTURES, "mlp"), 0)
    train, _ = _iters()
    two.fit(train, num_epoch=3, optimizer="sgd", optimizer_params=SGD, arg_params=args)
    for name, value in one.get_params()[0].items():
        _close(two.get_params()[0][name].asnumpy(), value.asnumpy(), name)
    parts = two.get_outputs(merge_multi_context=False)
    assert [p.shape for p in parts[0]] == [(4, 3), (4, 3)]
    assert [p.context for p in parts[0]] == [mx.cpu(0), mx.cpu(1)]


def test_uneven_work_load_splits_the_batch_proportionally():
    mod = mod_api.Module(mlp(mx), context=[mx.cpu(0), mx.cpu(1)], work_load_list=[1, 3])
    mod.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))])
    mod.init_params()
    assert mod._exec_group.slices == [slice(0, 2), slice(2, 8)]
    x, y = data()
    mod.forward(mx.io.DataBatch([mx.nd.array(x[:BATCH])], [mx.nd.array(y[:BATCH])]),
                is_train=False)
    single = mod_api.Module(mlp(mx))
    single.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))], for_training=False)
    single.set_params(*mod.get_params())
    single.forward(mx.io.DataBatch([mx.nd.array(x[:BATCH])], []), is_train=False)
    _close(mod.get_outputs()[0].asnumpy(), single.get_outputs()[0].asnumpy())


def test_mxnet_checkpoint_loads_and_predicts_like_mxnet():
    mod = mod_api.Module.load(os.path.join(FIXTURES, "mlp_trained"), 3)
    _, val = _iters()
    mod.bind(val.provide_data, val.provide_label, for_training=False)
    _close(mod.predict(val).asnumpy(), ARRAYS["mlp/predict"])


def test_resuming_with_mxnet_optimizer_states_continues_like_mxnet():
    mod = mod_api.Module.load(os.path.join(FIXTURES, "mlp_trained"), 3,
                              load_optimizer_states=True)
    train, _ = _iters()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # init_params is skipped: parameters came loaded
        mod.fit(train, num_epoch=4, begin_epoch=3, optimizer="sgd", optimizer_params=SGD)
    for name, value in mod.get_params()[0].items():
        _close(value.asnumpy(), ARRAYS[f"mlp_resumed/arg/{name}"], name)


def test_checkpoint_of_loaded_module_is_byte_identical_to_mxnet(tmp_path):
    mod = mod_api.Module.load(os.path.join(FIXTURES, "mlp_trained"), 3)
    mod.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))])
    prefix = str(tmp_path / "again")
    mod.save_checkpoint(prefix, 3)
    for suffix in ("-symbol.json", "-0003.params"):
        with open(prefix + suffix, "rb") as ours, \
                open(os.path.join(FIXTURES, "mlp_trained" + suffix), "rb") as theirs:
            assert ours.read() == theirs.read(), suffix


def test_optimizer_states_round_trip(tmp_path):
    mod, _, _ = _fit("mlp")
    prefix = str(tmp_path / "m")
    mod.save_checkpoint(prefix, 3, save_optimizer_states=True)
    loaded = mod_api.Module.load(prefix, 3, load_optimizer_states=True)
    loaded.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))])
    loaded.init_optimizer(optimizer="sgd", optimizer_params=SGD)
    assert set(loaded._updater.states) == set(mod._updater.states)
    for index, state in mod._updater.states.items():
        _close(loaded._updater.states[index].asnumpy(), state.asnumpy())


def _bucket_batch(key, tokens, labels):
    return mx.io.DataBatch([mx.nd.array(tokens)], [mx.nd.array(labels)], bucket_key=key,
                           provide_data=[mx.io.DataDesc("data", tokens.shape)],
                           provide_label=[mx.io.DataDesc("softmax_label", labels.shape)])


def test_bucketing_module_trains_like_mxnet_with_shared_parameters():
    mod = mod_api.BucketingModule(bucket_sym_gen(mx), default_bucket_key=5)
    mod.bind([("data", (BATCH, 5))], [("softmax_label", (BATCH,))])
    init = {k.split("/")[-1]: mx.nd.array(v) for k, v in ARRAYS.items()
            if k.startswith("bucket/init/")}
    mod.init_params(arg_params=init)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    for i, (key, tokens, labels) in enumerate(bucket_batches()):
        mod.forward(_bucket_batch(key, tokens, labels), is_train=True)
        _close(mod.get_outputs()[0].asnumpy(), ARRAYS[f"bucket/out/{i}"], f"batch {i}")
        mod.backward()
        mod.update()
    for name, value in mod.get_params()[0].items():
        _close(value.asnumpy(), ARRAYS[f"bucket/arg/{name}"], name)
    short, long_ = mod._buckets[3], mod._buckets[5]
    assert short._exec_group.execs[0].arg_dict["fc_weight"] is \
        long_._exec_group.execs[0].arg_dict["fc_weight"]


def test_bucketing_checkpoint_round_trip(tmp_path):
    mod = mod_api.BucketingModule(bucket_sym_gen(mx), default_bucket_key=5)
    mod.bind([("data", (BATCH, 5))], [("softmax_label", (BATCH,))])
    mod.init_params(initializer=mx.init.Normal(0.5))
    key, tokens, labels = bucket_batches()[0]
    mod.forward(_bucket_batch(key, tokens, labels), is_train=False)
    prefix = str(tmp_path / "b")
    mod.save_checkpoint(prefix, 1)
    assert sorted(os.listdir(tmp_path)) == ["b-0001.params", "b-3-symbol.json",
                                            "b-5-symbol.json", "b.buckets"]
    loaded = mod_api.BucketingModule.load(prefix, 1, sym_gen=bucket_sym_gen(mx),
                                          default_bucket_key=5)
    loaded.bind([("data", (BATCH, 5))], [("softmax_label", (BATCH,))], for_training=False)
    loaded.forward(_bucket_batch(key, tokens, labels), is_train=False)
    _close(loaded.get_outputs()[0].asnumpy(), mod.get_outputs()[0].asnumpy())


def _bound(symbol=None, **bind):
    mod = mod_api.Module(mlp(mx) if symbol is None else symbol)
    mod.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))], **bind)
    return mod


def test_init_params_honours_variable_init_attributes_in_sorted_order():
    w = mx.sym.Variable("fc1_weight", init=mx.init.Constant(0.5))
    x = mx.sym.FullyConnected(mx.sym.Variable("data"), weight=w, num_hidden=4, name="fc1")
    mod = _bound(mx.sym.SoftmaxOutput(x, name="softmax"))
    mod.init_params(initializer=mx.init.Uniform(0.1))
    args, _ = mod.get_params()
    assert (args["fc1_weight"].asnumpy() == 0.5).all()
    assert (args["fc1_bias"].asnumpy() == 0).all()


def test_init_params_missing_values_need_allow_missing():
    mod = _bound()
    partial = {"fc1_weight": mx.nd.ones((16, 6))}
    with pytest.raises(RuntimeError, match="fc1_bias is not presented"):
        mod.init_params(arg_params=partial)
    mod.init_params(initializer=mx.init.Constant(0.25), arg_params=partial, allow_missing=True)
    args, _ = mod.get_params()
    assert (args["fc1_weight"].asnumpy() == 1).all()
    assert (args["fc2_weight"].asnumpy() == 0.25).all()
    with pytest.warns(UserWarning, match="init_params call ignored"):
        mod.init_params()


def test_fixed_parameters_are_not_updated():
    mod = mod_api.Module(mlp(mx), fixed_param_names=["fc1_weight"])
    train, _ = _iters()
    mod.fit(train, num_epoch=1, initializer=mx.init.Xavier())
    before = mod.get_params()[0]["fc1_weight"].asnumpy().copy()
    train.reset()
    with pytest.warns(UserWarning, match="init_params call ignored"):
        mod.fit(train, num_epoch=1)
    after, _ = mod.get_params()
    np.testing.assert_array_equal(after["fc1_weight"].asnumpy(), before)
    assert mod._exec_group.grad_req["fc1_weight"] == "null"


def test_input_gradients_with_inputs_need_grad():
    x = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, no_bias=True, name="fc")
    mod = mod_api.Module(mx.sym.MakeLoss(mx.sym.sum(x)), label_names=None)
    mod.bind([("data", (3, 4))], inputs_need_grad=True)
    mod.init_params(initializer=mx.init.Uniform(1))
    mod.forward_backward(mx.io.DataBatch([mx.nd.ones((3, 4))], None))
    weight = mod.get_params()[0]["fc_weight"].asnumpy()
    grads = mod.get_input_grads()
    assert len(grads) == 1
    _close(grads[0].asnumpy(), np.tile(weight.sum(axis=0), (3, 1)))


# Batches without labels reshape a module bound with labels: MXNet warns too.
@pytest.mark.filterwarnings("ignore:Data provided by label_shapes")
def test_smaller_batch_reshapes_and_predict_drops_padding():
    mod = _bound(for_training=False)
    mod.init_params()
    x, _ = data()
    out = mod.predict(mx.nd.array(x[:3]))
    assert out.shape == (3, 3)
    assert mod.data_shapes[0].shape == (3, 6)
    it = mx.io.NDArrayIter(x, None, BATCH)
    merged = mod.predict(it)
    assert merged.shape == (36, 3)
    per_batch = mod.predict(it, merge_batches=False)
    assert [b[0].shape[0] for b in per_batch] == [8, 8, 8, 8, 4]
    assert isinstance(mod.predict(it, always_output_list=True), list)
    seen = [(nbatch, outs[0].shape) for outs, nbatch, _ in mod.iter_predict(it)]
    assert seen[-1] == (4, (4, 3))


def test_output_shapes_and_names():
    mod = _bound()
    assert mod.output_names == ["softmax_output"]
    assert mod.output_shapes == [("softmax_output", (BATCH, 3))]
    assert mod.data_names == ["data"] and mod.label_names == ["softmax_label"]


def test_misuse_raises_clear_errors():
    with pytest.raises(ValueError, match="'image' is not found"):
        mod_api.Module(mlp(mx), data_names=["image"])
    mod = mod_api.Module(mlp(mx))
    with pytest.raises(MXNetError, match="bind"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((BATCH, 6))], None))
    with pytest.raises(ValueError, match="don't match names"):
        mod.bind([("pixels", (BATCH, 6))])
    mod.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))])
    with pytest.raises(MXNetError, match="init_params"):
        mod.init_optimizer()
    with pytest.raises(MXNetError, match="num_epoch"):
        mod.fit(_iters()[0])


def test_monitor_sees_outputs_and_weights_of_every_device():
    mod = mod_api.Module(mlp(mx), context=[mx.cpu(0), mx.cpu(1)])
    mod.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))])
    mod.init_params()
    mon = Monitor(1, pattern="fc2.*", sort=True)
    mod.install_monitor(mon)
    mon.tic()
    mod.forward(mx.io.DataBatch([mx.nd.ones((BATCH, 6))], [mx.nd.zeros((BATCH,))]))
    names = [name for _, name, _ in mon.toc()]
    assert names == sorted(names)
    assert names.count("fc2_output") == 2 and names.count("fc2_weight") == 2


def _chain(name):
    features, classifier = mlp_stages(mx)
    seq = mod_api.SequentialModule()
    if name == "seq":
        seq.add(mod_api.Module(features, label_names=None))
        seq.add(mod_api.Module(classifier, data_names=["hidden"]), take_labels=True,
                auto_wiring=True)
    else:
        logits = mx.sym.FullyConnected(features, num_hidden=3, name="fc2")
        seq.add(mod_api.Module(logits, label_names=None))
        seq.add(mod_api.PythonLossModule(grad_func=softmax_grad(mx)), take_labels=True,
                auto_wiring=True)
    return seq


@pytest.mark.parametrize("name", ["seq", "pyloss"])
def test_sequential_and_python_loss_modules_train_like_mxnet(name):
    seq = _chain(name)
    train, _ = _iters()
    args, _ = model.load_params(os.path.join(FIXTURES, "mlp"), 0)
    seq.fit(train, num_epoch=2, optimizer="sgd",
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9}, arg_params=args)
    for key, value in seq.get_params()[0].items():
        _close(value.asnumpy(), ARRAYS[f"{name}/arg/{key}"], key)
    _close(seq.predict(train).asnumpy(), ARRAYS[f"{name}/predict"])
    assert seq.output_shapes[0][1] == (BATCH, 3)


def test_sequential_module_rejects_unknown_meta_and_duplicate_parameters():
    features, _ = mlp_stages(mx)
    with pytest.raises(MXNetError, match="unknown meta"):
        mod_api.SequentialModule().add(mod_api.Module(features, label_names=None),
                                       take_label=True)
    seq = mod_api.SequentialModule()
    seq.add(mod_api.Module(features, label_names=None))
    seq.add(mod_api.Module(mlp_stages(mx)[0], label_names=None), auto_wiring=True)
    seq.bind([("data", (BATCH, 6))])  # binds: the second stage just sees 16 features
    with pytest.raises(MXNetError, match="duplicated parameter name 'fc1_weight'"):
        seq.init_params()


class _KVStore:
    """The part of mx.kv's interface Module uses, updating on the store."""
    type = "local"

    def __init__(self):
        self.weights, self.updater, self.calls = {}, None, []

    def init(self, key, value):
        self.weights[key] = value.copy()

    def set_optimizer(self, optimizer):
        self.updater = mx.optimizer.get_updater(optimizer)

    def pull(self, key, out, priority=0):
        for target in out:
            self.weights[key].copyto(target)

    def pushpull(self, key, value, out=None, priority=0):
        self.calls.append(key)
        total = value[0].copy()
        for v in value[1:]:
            total += v.as_in_context(total.context)
        self.updater(key, total, self.weights[key])
        self.pull(key, out)


def test_updates_run_on_a_kvstore_that_accepts_an_optimizer():
    kv = _KVStore()
    mod, _, _ = _fit("mlp_multi", kvstore=kv)
    assert mod._update_on_kvstore and kv.updater is not None
    assert kv.calls[:4] == ["fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"]
    for name, value in mod.get_params()[0].items():
        _close(value.asnumpy(), ARRAYS[f"mlp/arg/{name}"], name)
