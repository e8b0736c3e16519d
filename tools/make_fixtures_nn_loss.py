"""Write MXNet 1.9.1 reference results for the activation and loss layers.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_nn_loss.py

Each case stores its outputs, head gradient and the gradients of the inputs
listed in ``grad`` under ``<case>/<field>`` in ``tests/fixtures/ops/nn_loss.npz``;
the JSON entry ``cases`` holds each case's op, call arguments and the keys of
its inputs (``inputs/<n>``, each distinct input array stored once).
IdentityAttachKLSparseReg only works through a bound executor in MXNet, so
its case is run that way.
"""
import json
import os

import numpy as np

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "ops", "nn_loss.npz")

rng = np.random.default_rng(7)


def normal(*shape, dtype="float32"):
    return rng.normal(size=shape).astype(dtype)


def labels(n, k, shape=None, dtype="float32"):
    return rng.integers(0, k, size=shape or (n,)).astype(dtype)


X34 = normal(3, 4)
X234 = normal(2, 3, 4)
X2322 = normal(2, 3, 2, 2)
CTC_DATA = normal(6, 3, 5)
CTC_LABEL = np.array([[1, 2, 2], [4, 0, 0], [3, 1, 0]], dtype="float32")

# (name, op, inputs, kwargs, indices of inputs to differentiate, head gradient or None)
CASES = [
    ("activation_softrelu", "Activation", [normal(3, 5) * 4], {"act_type": "softrelu"}, [0], None),
    ("leaky_gelu", "LeakyReLU", [normal(3, 5) * 2], {"act_type": "gelu"}, [0], None),
    ("leaky_elu", "LeakyReLU", [normal(3, 5)], {"act_type": "elu", "slope": 0.7}, [0], None),
    ("leaky_prelu_channels", "LeakyReLU", [X234, np.array([0.1, -0.2, 0.3], "float32")],
     {"act_type": "prelu"}, [0, 1], normal(2, 3, 4)),
    ("leaky_prelu_scalar", "LeakyReLU", [X34, np.array([0.2], "float32")],
     {"act_type": "prelu"}, [0, 1], None),
    ("softmax_length", "softmax", [X234, np.array([[1, 4, 0], [2, 3, 4]], "int32")],
     {"use_length": True}, [0], normal(2, 3, 4)),
    ("softmax_length_axis1", "softmax", [X234, np.array([[1, 2, 3, 0], [3, 3, 1, 2]], "int32")],
     {"use_length": True, "axis": 1, "temperature": 2.0}, [0], normal(2, 3, 4)),
    ("softmax_temperature_f64", "softmax", [X234.astype("float64")],
     {"axis": 0, "temperature": 0.5, "dtype": "float64"}, [0], normal(2, 3, 4, dtype="float64")),
    ("log_softmax_temperature", "log_softmax", [X234], {"temperature": 3.0}, [0],
     normal(2, 3, 4)),
    ("softmin_axis1", "softmin", [X234], {"axis": 1}, [0], normal(2, 3, 4)),
    ("softmax_activation_channel", "SoftmaxActivation", [X2322], {"mode": "channel"}, [0],
     normal(2, 3, 2, 2)),
    ("softmax_output_plain", "SoftmaxOutput", [X34, labels(3, 4)], {}, [0], None),
    ("softmax_output_scaled_batch", "SoftmaxOutput", [X34, labels(3, 4)],
     {"grad_scale": 2.5, "normalization": "batch"}, [0], None),
    ("softmax_output_ignore_valid", "SoftmaxOutput", [X34, np.array([1, 2, 1], "float32")],
     {"use_ignore": True, "ignore_label": 1, "normalization": "valid"}, [0], None),
    ("softmax_output_smooth", "SoftmaxOutput", [X34, labels(3, 4)], {"smooth_alpha": 0.2}, [0],
     None),
    ("softmax_output_out_of_range_label", "SoftmaxOutput",
     [X34, np.array([7, -1, 2.9], "float32")], {}, [0], None),
    ("softmax_output_multi_null", "SoftmaxOutput", [X2322, labels(2, 3, (2, 2, 2))],
     {"multi_output": True}, [0], None),
    ("softmax_output_multi_batch", "SoftmaxOutput", [X2322, labels(2, 3, (2, 4))],
     {"multi_output": True, "normalization": "batch"}, [0], None),
    ("softmax_output_multi_ignore_valid", "SoftmaxOutput",
     [X2322, np.array([[[0, 1], [2, 1]], [[1, 1], [0, 2]]], "float32")],
     {"multi_output": True, "use_ignore": True, "ignore_label": 1, "normalization": "valid"},
     [0], None),
    ("softmax_output_preserve_shape", "SoftmaxOutput", [X234, labels(2, 4, (2, 3))],
     {"preserve_shape": True, "normalization": "valid"}, [0], None),
    ("softmax_output_flattened_3d", "SoftmaxOutput",
     [X234, np.array([[0, 5, 5], [11, 0, 0]], "float32")], {}, [0], None),
    ("softmax_legacy_alias", "Softmax", [X34.astype("float64"), labels(3, 4, dtype="float64")],
     {"grad_scale": 0.5}, [0], None),
    ("linear_regression", "LinearRegressionOutput", [X34, normal(3, 4)], {"grad_scale": 2.0},
     [0], None),
    ("linear_regression_column", "LinearRegressionOutput", [X34[:, :1], normal(3)], {}, [0],
     None),
    ("logistic_regression", "LogisticRegressionOutput",
     [X234, rng.uniform(size=(2, 3, 4)).astype("float32")], {}, [0], None),
    ("mae_regression", "MAERegressionOutput", [X34, np.where(X34 > 0, X34, 0)],
     {"grad_scale": 3.0}, [0], None),
    ("svm_l2", "SVMOutput", [X34, labels(3, 4)], {}, [0], None),
    ("svm_l1_margin", "SVMOutput", [X234, labels(2, 4, (2, 3))],
     {"use_linear": True, "margin": 0.5, "regularization_coefficient": 2.0}, [0], None),
    ("softmax_cross_entropy", "softmax_cross_entropy", [X34, labels(3, 4)], {}, [0],
     np.array([2.0], "float32")),
    ("ctc_first", "CTCLoss", [CTC_DATA, CTC_LABEL], {}, [0], np.array([1, 2, 0.5], "float32")),
    ("ctc_last", "ctc_loss", [CTC_DATA, np.array([[0, 1, 1], [3, -1, -1], [2, 0, -1]],
                                                 "float32")],
     {"blank_label": "last"}, [0], None),
    ("ctc_lengths", "CTCLoss", [CTC_DATA, CTC_LABEL, np.array([6, 2, 4], "float32"),
                                np.array([3, 1, 1], "float32")],
     {"use_data_lengths": True, "use_label_lengths": True}, [0], None),
    ("ctc_repeats_need_blanks", "contrib.CTCLoss",
     [CTC_DATA, np.array([[2, 2, 2], [1, 1, 0], [0, 0, 0]], "float32")], {}, [0], None),
]


def run(name, op, inputs, kwargs, grad_of, head):
    arrays = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    for i in grad_of:
        arrays[i].attach_grad()
    fn = mx.nd
    for part in op.split("."):
        fn = getattr(fn, part)
    with mx.autograd.record():
        out = fn(*arrays, **kwargs)
    out.backward(None if head is None else mx.nd.array(head, dtype=head.dtype))
    record = {"out": out.asnumpy()}
    for i in grad_of:
        record[f"grad{i}"] = arrays[i].grad.asnumpy()
    if head is not None:
        record["head"] = head
    record["meta"] = {"op": op, "kwargs": kwargs, "grad": grad_of,
                      "inputs": [_shared(a) for a in inputs]}
    return record


_SHARED = {}  # inputs used by several cases are stored once, as "inputs/<n>"


def _shared(array):
    for key, known in _SHARED.items():
        if known.dtype == array.dtype and known.shape == array.shape and \
                np.array_equal(known, array):
            return key
    key = f"inputs/{len(_SHARED)}"
    _SHARED[key] = array
    return key


def run_kl_sparse_reg():
    data = rng.uniform(0.05, 0.95, size=(4, 3)).astype("float32")
    moving = np.array([0.3, 0.05, 0.6], "float32")
    head = normal(4, 3)
    kwargs = {"sparseness_target": 0.2, "penalty": 0.05, "momentum": 0.7}
    sym = mx.sym.IdentityAttachKLSparseReg(mx.sym.var("x"), **kwargs)
    ex = sym.simple_bind(mx.cpu(), x=data.shape)
    ex.arg_dict["x"][:] = data
    aux = ex.aux_dict[sym.list_auxiliary_states()[0]]
    aux[:] = moving
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward(mx.nd.array(head))
    return {"head": head, "out": out, "grad0": ex.grad_dict["x"].asnumpy(),
            "moving_after": aux.asnumpy(),
            "meta": {"op": "IdentityAttachKLSparseReg", "kwargs": kwargs, "grad": [0],
                     "inputs": [_shared(data), _shared(moving)]}}


def main():
    records = [(c[0], run(*c)) for c in CASES] + [("kl_sparse_reg", run_kl_sparse_reg())]
    fields = dict(_SHARED)
    meta = {}
    for name, record in records:
        meta[name] = record.pop("meta")
        for key, value in record.items():
            fields[f"{name}/{key}"] = value
    fields["cases"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **fields)
    print(f"wrote {len(records)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
