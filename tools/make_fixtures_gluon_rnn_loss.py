"""Write the fixtures of tests/gluon/test_loss.py and tests/gluon/test_rnn.py
with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_gluon_rnn_loss.py

The case tables and the builders below are imported by the tests too, so
both sides construct the very same blocks. Files written to
tests/fixtures/gluon_rnn_loss/ (the ``.npz`` files hold many small arrays
packed into one, see ``save_packed``):
* ``loss.npz``: for each loss case its inputs, head gradient, output and the
  gradients of its continuous inputs (``<case>/<name>``);
* ``layer.npz`` / ``layer_<case>.params``: fused RNN/LSTM/GRU layers, their
  parameters (``save_parameters``), inputs, outputs, final states and the
  gradients of inputs, states and parameters;
* ``cell.npz`` / ``cell_<case>.params``: the same for cells unrolled over a
  few steps (layouts, merged or listed outputs, valid_length, stacks,
  bidirectional and modifier cells), run in predict mode so dropout-based
  cells are deterministic.
"""
import json
import os

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import loss as gloss
from mxnet.gluon import rnn
from mxnet.gluon.contrib import rnn as contrib_rnn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "gluon_rnn_loss")

# -- losses ------------------------------------------------------------------------------
# case: (class name, kwargs, [(input name, shape, kind) or None for a skipped
# positional argument]). Kinds say how the oracle script draws values; inputs
# of kind normal/prob/pos/dist*/weight get gradients.
LOSS_CASES = {
    "l2": ("L2Loss", {}, [("pred", (4, 3), "normal"), ("label", (4, 3), "normal")]),
    "l2_weighted": ("L2Loss", {"weight": 2.},
                    [("pred", (4, 3, 2), "normal"), ("label", (4, 3, 2), "normal"),
                     ("sample_weight", (4, 1, 1), "weight")]),
    "l2_batch_axis1": ("L2Loss", {"batch_axis": 1},
                       [("pred", (3, 4), "normal"), ("label", (3, 4), "normal")]),
    "l1": ("L1Loss", {"weight": 0.5}, [("pred", (4, 3), "normal"), ("label", (4, 3), "normal"),
                                       ("sample_weight", (4, 3), "weight")]),
    "l1_flat_label": ("L1Loss", {}, [("pred", (4, 1), "normal"), ("label", (4,), "normal")]),
    "bce": ("SigmoidBCELoss", {}, [("pred", (4, 3), "normal"), ("label", (4, 3), "binary")]),
    "bce_from_sigmoid": ("SigmoidBCELoss", {"from_sigmoid": True},
                         [("pred", (4, 3), "prob"), ("label", (4, 3), "binary")]),
    "bce_pos_weight": ("SigmoidBinaryCrossEntropyLoss", {},
                       [("pred", (4, 3), "normal"), ("label", (4, 3), "binary"), None,
                        ("pos_weight", (3,), "weight")]),
    "bce_from_sigmoid_pos_weight": ("SigmoidBCELoss", {"from_sigmoid": True, "weight": 0.7},
                                    [("pred", (4, 3), "prob"), ("label", (4, 3), "prob"),
                                     ("sample_weight", (4, 1), "weight"),
                                     ("pos_weight", (3,), "weight")]),
    "softmax_ce": ("SoftmaxCELoss", {}, [("pred", (4, 5), "normal"),
                                         ("label", (4,), "class5")]),
    "softmax_ce_axis1": ("SoftmaxCrossEntropyLoss", {"axis": 1},
                         [("pred", (2, 5, 3), "normal"), ("label", (2, 3), "class5"),
                          ("sample_weight", (2, 1, 3), "weight")]),
    "softmax_ce_dense": ("SoftmaxCELoss", {"sparse_label": False},
                         [("pred", (4, 5), "normal"), ("label", (4, 5), "dist")]),
    "softmax_ce_from_logits": ("SoftmaxCELoss", {"from_logits": True},
                               [("pred", (4, 5), "normal"), ("label", (4,), "class5")]),
    "softmax_ce_batch_axis1": ("SoftmaxCELoss", {"batch_axis": 1},
                               [("pred", (3, 4, 5), "normal"), ("label", (3, 4), "class5")]),
    "kl_div": ("KLDivLoss", {}, [("pred", (4, 5), "normal"), ("label", (4, 5), "dist")]),
    "kl_div_softmax_axis1": ("KLDivLoss", {"from_logits": False, "axis": 1},
                             [("pred", (2, 4, 3), "normal"), ("label", (2, 4, 3), "dist1"),
                              ("sample_weight", (2, 1, 1), "weight")]),
    "ctc": ("CTCLoss", {}, [("pred", (2, 5, 4), "normal"), ("label", (2, 3), "ctc_label")]),
    "ctc_tnc_lengths": ("CTCLoss", {"layout": "TNC", "label_layout": "TN", "weight": 2.},
                        [("pred", (5, 2, 4), "normal"), ("label", (3, 2), "ctc_label_tn"),
                         ("pred_lengths", (2,), "pred_lengths"),
                         ("label_lengths", (2,), "label_lengths"),
                         ("sample_weight", (2,), "weight")]),
    "huber": ("HuberLoss", {"rho": 0.5}, [("pred", (4, 3), "normal"),
                                          ("label", (4, 3), "normal")]),
    "hinge": ("HingeLoss", {"margin": 1.5}, [("pred", (4, 3), "normal"),
                                             ("label", (4, 3), "sign")]),
    "squared_hinge": ("SquaredHingeLoss", {}, [("pred", (4, 3), "normal"),
                                               ("label", (4, 3), "sign"),
                                               ("sample_weight", (4, 1), "weight")]),
    "logistic_signed": ("LogisticLoss", {}, [("pred", (4, 3), "normal"),
                                             ("label", (4, 3), "sign")]),
    "logistic_binary": ("LogisticLoss", {"label_format": "binary"},
                        [("pred", (4, 3), "normal"), ("label", (4, 3), "binary")]),
    "triplet": ("TripletLoss", {"margin": 0.5},
                [("pred", (4, 3), "normal"), ("positive", (4, 3), "normal"),
                 ("negative", (4, 3), "normal")]),
    "triplet_batch_axis1": ("TripletLoss", {"batch_axis": 1, "weight": 3.},
                            [("pred", (3, 4), "normal"), ("positive", (3, 4), "normal"),
                             ("negative", (3, 4), "normal")]),
    "poisson_nll": ("PoissonNLLLoss", {}, [("pred", (4, 3), "normal"),
                                           ("target", (4, 3), "count")]),
    "poisson_nll_rate_full": ("PoissonNLLLoss", {"from_logits": False, "compute_full": True},
                              [("pred", (4, 3), "pos"), ("target", (4, 3), "count"),
                               ("sample_weight", (4, 1), "weight")]),
    "cosine_embedding": ("CosineEmbeddingLoss", {"margin": 0.2},
                         [("input1", (4, 3), "normal"), ("input2", (4, 3), "normal"),
                          ("label", (4,), "sign")]),
    "cosine_embedding_weighted": ("CosineEmbeddingLoss", {"weight": 0.5},
                                  [("input1", (4, 3), "normal"), ("input2", (4, 3), "normal"),
                                   ("label", (4,), "sign"), ("sample_weight", (4, 1), "weight")]),
    "sdml": ("SDMLLoss", {}, [("x1", (4, 3), "normal"), ("x2", (4, 3), "normal")]),
}
GRAD_KINDS = ("normal", "prob", "pos", "dist", "dist1", "weight")
NOT_HYBRIDIZABLE = {"sdml"}  # SDMLLoss reads concrete shapes
# MXNet's PoissonNLLLoss(compute_full=True) updates an array in place, which
# neither its autograd nor its Symbol allow: the oracle gives only the
# imperative forward output.
ORACLE_FORWARD_ONLY = {"poisson_nll_rate_full"}


def draw(rng, shape, kind):
    """Values of one loss input (oracle side only)."""
    if kind == "normal":
        return rng.randn(*shape)
    if kind == "prob":
        return rng.uniform(0.05, 0.95, shape)
    if kind == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "weight":
        return rng.uniform(0.5, 1.5, shape)
    if kind == "binary":
        return rng.randint(0, 2, shape)
    if kind == "sign":
        return rng.choice([-1., 1.], shape)
    if kind == "count":
        return rng.randint(0, 6, shape)
    if kind.startswith("class"):
        return rng.randint(0, int(kind[5:]), shape)
    if kind.startswith("dist"):
        axis = 1 if kind == "dist1" else -1
        e = np.exp(rng.randn(*shape))
        return e / e.sum(axis=axis, keepdims=True)
    if kind == "ctc_label":
        return np.array([[0, 1, -1], [2, 2, 1]])
    if kind == "ctc_label_tn":
        return np.array([[1, 0], [2, 0], [0, 0]])
    if kind == "pred_lengths":
        return np.array([5, 4])
    if kind == "label_lengths":
        return np.array([3, 1])
    raise ValueError(kind)


def make_loss(case):
    cls, kwargs, _ = LOSS_CASES[case]
    return getattr(gloss, cls)(**kwargs)


def run_loss(block, arrays, spec):
    """(output, {input name: gradient}) of ``block`` on the arrays of ``spec``."""
    args, grads = [], {}
    for item in spec:
        if item is None:
            args.append(None)
            continue
        name, _, kind = item
        x = mx.nd.array(arrays[name])
        if kind in GRAD_KINDS:
            x.attach_grad()
            grads[name] = x
        args.append(x)
    with autograd.record():
        out = block(*args)
    out.backward(mx.nd.array(arrays["head"]) if "head" in arrays else None)
    return out.asnumpy(), {name: x.grad.asnumpy() for name, x in grads.items()}


# -- fused layers ---------------------------------------------------------------------
# case: (class name, kwargs, input shape, whether initial states are given).
# MXNet's CPU kernel ignores state clipping and sequence lengths (only its
# cuDNN path honours them), so those are tested against unrolled cells instead.
LAYER_CASES = {
    "rnn_relu": ("RNN", {"hidden_size": 4}, (3, 2, 3), False),
    "rnn_tanh_2layer_bi_ntc": ("RNN", {"hidden_size": 4, "num_layers": 2, "activation": "tanh",
                                       "bidirectional": True, "layout": "NTC"}, (2, 3, 3), True),
    "lstm": ("LSTM", {"hidden_size": 4}, (3, 2, 3), True),
    "lstm_2layer_bi": ("LSTM", {"hidden_size": 4, "num_layers": 2, "bidirectional": True},
                       (3, 2, 3), False),
    "lstm_projection": ("LSTM", {"hidden_size": 4, "num_layers": 2, "projection_size": 2,
                                 "layout": "NTC"}, (2, 3, 3), True),
    "gru_ntc": ("GRU", {"hidden_size": 4, "layout": "NTC"}, (2, 3, 3), False),
    "gru_2layer_bi": ("GRU", {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
                      (3, 2, 3), True),
}


# MXNet has no CPU backward for LSTMs with a projection: outputs only.
LAYER_FORWARD_ONLY = {"lstm_projection"}


def make_layer(case):
    cls, kwargs, _, _ = LAYER_CASES[case]
    return getattr(rnn, cls)(prefix=f"{case}_", **kwargs)


def _layer_inputs(layer, arrays, with_states):
    """Positional arguments of ``layer`` (fresh NDArrays) and the list of states."""
    x = mx.nd.array(arrays["x"])
    args, states = [x], []
    if with_states:
        states = [mx.nd.array(arrays[f"state{i}"]) for i in range(len(layer.state_info()))]
        args.append(states)
    return args, states


def run_layer(layer, arrays, with_states, train=True):
    """(outputs, states, {grad name: gradient}) of ``layer`` on ``arrays``
    (no gradients unless ``train``)."""
    args, states = _layer_inputs(layer, arrays, with_states)
    if not train:
        result = layer(*args)
        out, new_states = result if with_states else (result, [])
        return out.asnumpy(), [s.asnumpy() for s in new_states], {}
    for a in [args[0]] + states:
        a.attach_grad()
    with autograd.record():
        result = layer(*args)
    out, new_states = result if with_states else (result, [])
    heads = [out] + list(new_states)
    autograd.backward(heads, [mx.nd.array(arrays[f"head{i}"]) for i in range(len(heads))])
    grads = {"x": args[0].grad.asnumpy()}
    grads.update({f"state{i}": s.grad.asnumpy() for i, s in enumerate(states)})
    for name, p in layer.collect_params().items():
        grads[name[len(layer.prefix):]] = p.grad().asnumpy()
    return out.asnumpy(), [s.asnumpy() for s in new_states], grads


# -- cells ------------------------------------------------------------------------------
# A cell spec is (class name, kwargs, *child specs); contrib cells are looked
# up in gluon.contrib.rnn. A case: (cell spec, input shape, layout,
# merge_outputs, valid lengths or None).
CELL_CASES = {
    "rnn_tnc_merged": (("RNNCell", {"hidden_size": 4}), (3, 2, 3), "TNC", True, None),
    "rnn_relu_listed": (("RNNCell", {"hidden_size": 4, "activation": "relu"}), (2, 3, 3), "NTC",
                        False, None),
    "lstm_valid_length": (("LSTMCell", {"hidden_size": 4}), (3, 4, 3), "NTC", True, [4, 2, 1]),
    "lstm_activations": (("LSTMCell", {"hidden_size": 3, "activation": "softsign",
                                       "recurrent_activation": "tanh"}),
                         (3, 2, 2), "TNC", None, None),
    "gru_valid_length_listed": (("GRUCell", {"hidden_size": 4}), (3, 2, 3), "TNC", False,
                                [1, 3]),
    "sequential": (("SequentialRNNCell", {}, ("LSTMCell", {"hidden_size": 4}),
                    ("DropoutCell", {"rate": 0.5}), ("GRUCell", {"hidden_size": 3})),
                   (2, 3, 3), "NTC", True, None),
    "hybrid_sequential_valid_length": (
        ("HybridSequentialRNNCell", {}, ("RNNCell", {"hidden_size": 4}),
         ("ResidualCell", {}, ("GRUCell", {"hidden_size": 4}))),
        (2, 3, 3), "NTC", True, [2, 3]),
    "bidirectional": (("BidirectionalCell", {}, ("LSTMCell", {"hidden_size": 4}),
                       ("GRUCell", {"hidden_size": 3})), (3, 2, 3), "TNC", True, None),
    "bidirectional_valid_length_listed": (
        ("BidirectionalCell", {"output_prefix": "bid_"}, ("RNNCell", {"hidden_size": 2}),
         ("RNNCell", {"hidden_size": 2})), (2, 4, 3), "NTC", False, [4, 2]),
    "zoneout": (("ZoneoutCell", {"zoneout_outputs": 0.5, "zoneout_states": 0.5},
                 ("LSTMCell", {"hidden_size": 3})), (2, 3, 3), "NTC", True, None),
    "residual_valid_length": (("ResidualCell", {}, ("GRUCell", {"hidden_size": 3})),
                              (3, 2, 3), "TNC", False, [3, 1]),
    "lstmp": (("LSTMPCell", {"hidden_size": 4, "projection_size": 2}), (2, 3, 3), "NTC", True,
              None),
    "variational_dropout": (("VariationalDropoutCell", {"drop_inputs": 0.3, "drop_states": 0.3,
                                                        "drop_outputs": 0.3},
                             ("LSTMCell", {"hidden_size": 3})), (2, 3, 3), "NTC", True, None),
    "variational_dropout_no_state_drop": (
        ("VariationalDropoutCell", {"drop_inputs": 0.3, "drop_outputs": 0.3},
         ("GRUCell", {"hidden_size": 3})), (2, 3, 3), "NTC", True, [3, 2]),
}


# MXNet cannot hybridize these (ResidualCell.unroll adds a list of steps to
# a grouped Symbol): the oracle's numbers come from imperative runs only.
CELL_ORACLE_IMPERATIVE_ONLY = {"residual_valid_length"}


def _flat(out):
    """Outputs as a flat list (hybridized MXNet nests the steps that
    SequenceMask+split produce in one more list)."""
    if not isinstance(out, (list, tuple)):
        return [out]
    return [o for item in out for o in _flat(item)]


def build_cell(spec):
    """The cell described by ``spec`` (created in the current name scope)."""
    kind, kwargs, *children = spec
    cls = getattr(rnn, kind, None) or getattr(contrib_rnn, kind)
    if kind in ("SequentialRNNCell", "HybridSequentialRNNCell"):
        cell = cls(**kwargs)
        with cell.name_scope():
            for child in children:
                cell.add(build_cell(child))
        return cell
    return cls(*[build_cell(c) for c in children], **kwargs)


def _unroll(cell, x, states, valid, case):
    _, shape, layout, merge, _ = CELL_CASES[case]
    return cell.unroll(shape[layout.find("T")], x, begin_state=states, layout=layout,
                       merge_outputs=merge, valid_length=valid)


class HybridUnroll(gluon.HybridBlock):
    """Unrolls a hybrid cell in ``hybrid_forward``, so hybridizing this block
    traces the whole unrolled sequence into one graph."""

    def __init__(self, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        with self.name_scope():
            self.cell = build_cell(CELL_CASES[case][0])

    def hybrid_forward(self, F, x, states, valid=None):
        return _unroll(self.cell, x, states, valid, self.case)


class Unroll(gluon.Block):
    """The same for cells that cannot be hybridized as a whole (SequentialRNNCell)."""

    def __init__(self, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        with self.name_scope():
            self.cell = build_cell(CELL_CASES[case][0])

    def forward(self, x, states, valid=None):
        return _unroll(self.cell, x, states, valid, self.case)


def make_unroller(case):
    hybrid = CELL_CASES[case][0][0] != "SequentialRNNCell"
    return (HybridUnroll if hybrid else Unroll)(case, prefix="unroll_")


def run_cell(block, arrays):
    """(outputs, states, {grad name: gradient}) of an unroller, in predict mode."""
    x = mx.nd.array(arrays["x"])
    x.attach_grad()
    n_states = sum(1 for k in arrays if k.startswith("state"))
    states = [mx.nd.array(arrays[f"state{i}"]) for i in range(n_states)]
    for s in states:
        s.attach_grad()
    args = [x, states] + ([mx.nd.array(arrays["valid"])] if "valid" in arrays else [])
    with autograd.record(train_mode=False):
        out, new_states = block(*args)
        outs = _flat(out)
        # One scalar, since a cell's last output and its state can be the
        # same array, which backward would count once as a head.
        total = mx.nd.add_n(*[(h * mx.nd.array(arrays[f"head{i}"])).sum()
                              for i, h in enumerate(outs + list(new_states))])
    total.backward(train_mode=False)
    grads = {"x": x.grad.asnumpy()}
    grads.update({f"state{i}": s.grad.asnumpy() for i, s in enumerate(states)})
    for name, p in block.collect_params().items():
        grads[name[len(block.prefix):]] = p.grad().asnumpy()
    return [o.asnumpy() for o in outs], [s.asnumpy() for s in new_states], grads


# -- writing ---------------------------------------------------------------------------
def save_packed(path, arrays):
    """Write many small float arrays as one float32 vector plus a JSON index
    (name -> offset, shape): a fraction of the size of one npz member each."""
    index, offset = {}, 0
    for name, a in arrays.items():
        index[name] = [offset, list(np.shape(a))]
        offset += int(np.size(a))
    blob = np.concatenate([np.ravel(a).astype(np.float32) for a in arrays.values()])
    meta = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
    np.savez_compressed(path, blob=blob, index=meta)


def load_packed(path):
    """{name: array} from a file written by ``save_packed``."""
    with np.load(path) as f:
        blob, index = f["blob"], json.loads(f["index"].tobytes().decode())
    return {name: blob[off:off + int(np.prod(shape))].reshape(shape)
            for name, (off, shape) in index.items()}


def _check_same(a, b, what):
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6, err_msg=what)


def _record_run(data, case, result):
    outs, states, grads = result
    for i, o in enumerate(outs):
        data[f"{case}/out{i}"] = o
    for i, s in enumerate(states):
        data[f"{case}/final_state{i}"] = s
    for name, g in grads.items():
        data[f"{case}/grad_{name}"] = g


def write_losses(rng):
    data = {}
    for case, (_, _, spec) in LOSS_CASES.items():
        arrays = {name: draw(rng, shape, kind).astype(np.float32)
                  for name, shape, kind in filter(None, spec)}
        block = make_loss(case)
        if case in ORACLE_FORWARD_ONLY:
            data.update({f"{case}/{k}": v for k, v in arrays.items()})
            data[f"{case}/out"] = block(*[None if i is None else mx.nd.array(arrays[i[0]])
                                          for i in spec]).asnumpy()
            continue
        out, _ = run_loss(block, arrays, spec)  # for the output shape
        arrays["head"] = rng.uniform(0.5, 1.5, out.shape).astype(np.float32)
        out, grads = run_loss(block, arrays, spec)
        if case not in NOT_HYBRIDIZABLE:
            block.hybridize()
            h_out, h_grads = run_loss(block, arrays, spec)
            _check_same([out] + list(grads.values()), [h_out] + list(h_grads.values()), case)
        data.update({f"{case}/{k}": v for k, v in arrays.items()})
        data[f"{case}/out"] = out
        data.update({f"{case}/grad_{k}": v for k, v in grads.items()})
    save_packed(os.path.join(OUT, "loss.npz"), data)


def write_layers(rng):
    data = {}
    for case, (_, _, shape, with_states) in LAYER_CASES.items():
        layer = make_layer(case)
        layer.initialize(mx.init.Uniform(0.5))
        arrays = {"x": rng.randn(*shape).astype(np.float32)}
        batch = shape[layer._layout.find("N")]
        for i, info in enumerate(layer.state_info(batch)):
            if with_states:
                arrays[f"state{i}"] = rng.randn(*info["shape"]).astype(np.float32)
        layer(*_layer_inputs(layer, arrays, with_states)[0])  # completes deferred init
        layer.save_parameters(os.path.join(OUT, f"layer_{case}.params"))
        out_shape = (shape[:2] + (layer._dir * (layer._projection_size or layer._hidden_size),))
        heads = [out_shape] + ([info["shape"] for info in layer.state_info(batch)]
                               if with_states else [])
        for i, s in enumerate(heads):
            arrays[f"head{i}"] = rng.uniform(0.5, 1.5, s).astype(np.float32)
        train = case not in LAYER_FORWARD_ONLY
        result = run_layer(layer, arrays, with_states, train)
        layer.hybridize()
        hybrid = run_layer(layer, arrays, with_states, train)
        _check_same([result[0]] + result[1] + list(result[2].values()),
                    [hybrid[0]] + hybrid[1] + list(hybrid[2].values()), case)
        data.update({f"{case}/{k}": v for k, v in arrays.items()})
        _record_run(data, case, ([result[0]],) + result[1:])
    save_packed(os.path.join(OUT, "layer.npz"), data)


def write_cells(rng):
    data = {}
    for case, (_, shape, layout, _, valid) in CELL_CASES.items():
        block = make_unroller(case)
        block.initialize(mx.init.Uniform(0.5))
        batch = shape[layout.find("N")]
        arrays = {"x": rng.randn(*shape).astype(np.float32)}
        for i, info in enumerate(block.cell.state_info(batch)):
            arrays[f"state{i}"] = rng.randn(*info["shape"]).astype(np.float32)
        if valid is not None:
            arrays["valid"] = np.array(valid, np.float32)
        for i, s in enumerate(_probe_shapes(block, arrays)):
            arrays[f"head{i}"] = rng.uniform(0.5, 1.5, s).astype(np.float32)
        block.save_parameters(os.path.join(OUT, f"cell_{case}.params"))
        result = run_cell(block, arrays)
        block.hybridize()
        hybrid = result if case in CELL_ORACLE_IMPERATIVE_ONLY else run_cell(block, arrays)
        _check_same(result[0] + result[1] + list(result[2].values()),
                    hybrid[0] + hybrid[1] + list(hybrid[2].values()), case)
        data.update({f"{case}/{k}": v for k, v in arrays.items()})
        _record_run(data, case, result)
    save_packed(os.path.join(OUT, "cell.npz"), data)


def _probe_shapes(block, arrays):
    """Shapes of every output and final state (to draw head gradients)."""
    n_states = sum(1 for k in arrays if k.startswith("state"))
    args = [mx.nd.array(arrays["x"]), [mx.nd.array(arrays[f"state{i}"])
                                       for i in range(n_states)]]
    if "valid" in arrays:
        args.append(mx.nd.array(arrays["valid"]))
    out, states = block(*args)
    outs = _flat(out)
    return [o.shape for o in outs + list(states)]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(11)
    mx.random.seed(11)
    write_losses(rng)
    write_layers(rng)
    write_cells(rng)


if __name__ == "__main__":
    main()
