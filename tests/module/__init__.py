"""Models and data shared by the Module tests and ``tools/make_fixtures_module.py``
(which loads this file by path under MXNet 1.9.1, so it only uses ``mx``
passed in and NumPy)."""
import numpy as np

BATCH = 8
NUM_EXAMPLES = 36          # not a multiple of BATCH: the last batch is padded
BUCKET_KEYS = (3, 5)
VOCAB = 10


def data(seed=0):
    """Features (36, 6) and class labels in {0, 1, 2} that depend on them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(NUM_EXAMPLES, 6)).astype(np.float32)
    y = (np.argmax(x[:, :3] + 0.5 * x[:, 3:], axis=1)).astype(np.float32)
    return x, y


def mlp(mx):
    """6 -> 16 (relu) -> 3 with SoftmaxOutput."""
    x = mx.sym.Variable("data")
    x = mx.sym.FullyConnected(x, num_hidden=16, name="fc1")
    x = mx.sym.Activation(x, act_type="relu", name="relu1")
    x = mx.sym.FullyConnected(x, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(x, name="softmax")


def bn_net(mx):
    """6 -> 12 -> BatchNorm -> relu -> 3 with SoftmaxOutput (has aux states)."""
    x = mx.sym.Variable("data")
    x = mx.sym.FullyConnected(x, num_hidden=12, name="fc1")
    x = mx.sym.BatchNorm(x, name="bn1", fix_gamma=False)
    x = mx.sym.Activation(x, act_type="relu", name="relu1")
    x = mx.sym.FullyConnected(x, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(x, name="softmax")


def bucket_sym_gen(mx):
    """A sym_gen for BucketingModule: token sequences of length ``key`` ->
    embedding -> sum over time -> 3 classes. Parameters do not depend on key."""
    def sym_gen(key):
        x = mx.sym.Variable("data")
        x = mx.sym.Embedding(x, input_dim=VOCAB, output_dim=4, name="embed")
        x = mx.sym.sum(x, axis=1, name="pool")
        x = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
        return mx.sym.SoftmaxOutput(x, name="softmax"), ("data",), ("softmax_label",)
    return sym_gen


def bucket_batches(seed=1):
    """Six (key, tokens, labels) batches alternating between the two keys."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(6):
        key = BUCKET_KEYS[i % 2]
        tokens = rng.integers(0, VOCAB, size=(BATCH, key)).astype(np.float32)
        labels = (tokens[:, 0] % 3).astype(np.float32)
        out.append((key, tokens, labels))
    return out


def initial_params(symbol, shapes, seed=2):
    """Fixed starting values (NumPy) for every parameter and aux state
    (arguments not in ``shapes`` and not labels)."""
    rng = np.random.default_rng(seed)
    arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
    args = {n: (rng.normal(size=s) * 0.3).astype(np.float32)
            for n, s in zip(symbol.list_arguments(), arg_shapes)
            if n not in shapes and not n.endswith("label")}
    auxs = {n: (np.ones(s) if n.endswith("var") else np.zeros(s)).astype(np.float32)
            for n, s in zip(symbol.list_auxiliary_states(), aux_shapes)}
    return args, auxs


def mlp_stages(mx):
    """The MLP as two symbols for a SequentialModule: features and classifier."""
    x = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=16, name="fc1")
    features = mx.sym.Activation(x, act_type="relu", name="relu1")
    x = mx.sym.FullyConnected(mx.sym.Variable("hidden"), num_hidden=3, name="fc2")
    return features, mx.sym.SoftmaxOutput(x, name="softmax")


def softmax_grad(mx):
    """A PythonLossModule grad_func: softmax cross-entropy gradient of the scores."""
    def grad(scores, labels):
        probs = mx.nd.softmax(scores, axis=1)
        return probs - mx.nd.one_hot(labels, depth=scores.shape[1])
    return grad
