"""BucketingModule.load_dict (MXNet 1.9.1): buckets run the given symbols,
with the given shared parameters applied at bind."""
import numpy as np
import pytest

import mxnet as mx
import mxnet.module as mod_api
from mxnet.base import MXNetError

from . import BATCH, bucket_batches, bucket_sym_gen


def _batch(key, tokens, labels):
    return mx.io.DataBatch([mx.nd.array(tokens)], [mx.nd.array(labels)], bucket_key=key,
                           provide_data=[mx.io.DataDesc("data", tokens.shape)],
                           provide_label=[mx.io.DataDesc("softmax_label", labels.shape)])


def _trained():
    mod = mod_api.BucketingModule(bucket_sym_gen(mx), default_bucket_key=5)
    mod.bind([("data", (BATCH, 5))], [("softmax_label", (BATCH,))])
    mod.init_params(initializer=mx.init.Normal(0.5))
    return mod


def test_load_dict_runs_the_given_symbols_with_the_given_parameters():
    mod = _trained()
    arg_params, aux_params = mod.get_params()
    sym_gen = bucket_sym_gen(mx)
    # bucket 3 gets a symbol whose output is scaled: load_dict must run it, not sym_gen's
    net, _, _ = sym_gen(3)
    scaled = mx.sym.SoftmaxOutput(net.get_internals()["fc_output"] * 0, name="softmax")
    loaded = mod_api.BucketingModule.load_dict({5: sym_gen(5)[0], 3: scaled}, sym_gen=sym_gen,
                                               default_bucket_key=5, arg_params=arg_params,
                                               aux_params=aux_params)
    assert loaded.params_initialized
    loaded.bind([("data", (BATCH, 5))], [("softmax_label", (BATCH,))], for_training=False)
    for key, tokens, labels in bucket_batches()[:2]:
        mod.forward(_batch(key, tokens, labels), is_train=False)
        loaded.forward(_batch(key, tokens, labels), is_train=False)
        got = loaded.get_outputs()[0].asnumpy()
        if key == 5:
            np.testing.assert_allclose(got, mod.get_outputs()[0].asnumpy(), rtol=1e-6)
        else:
            np.testing.assert_allclose(got, np.full(got.shape, 1 / 3), rtol=1e-6)


@pytest.mark.parametrize("missing", ["sym_dict", "sym_gen", "default_bucket_key",
                                     "arg_params", "aux_params"])
def test_load_dict_requires_every_argument(missing):
    kwargs = dict(sym_dict={5: bucket_sym_gen(mx)(5)[0]}, sym_gen=bucket_sym_gen(mx),
                  default_bucket_key=5, arg_params={}, aux_params={})
    kwargs[missing] = None
    with pytest.raises(MXNetError, match=f"load_dict: {missing} is required"):
        mod_api.BucketingModule.load_dict(**kwargs)
