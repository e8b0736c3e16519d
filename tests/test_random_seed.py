"""``mx.random.seed``: reproducible streams, per device, whatever the engine does."""
import numpy as np
import pytest

import mxnet as mx

R = mx.nd.random

SAMPLERS = {
    "uniform": lambda ctx: R.uniform(shape=5, ctx=ctx),
    "normal": lambda ctx: R.normal(shape=5, ctx=ctx),
    "randn": lambda ctx: R.randn(5, ctx=ctx),
    "gamma": lambda ctx: R.gamma(2, 2, shape=5, ctx=ctx),
    "exponential": lambda ctx: R.exponential(shape=5, ctx=ctx),
    "poisson": lambda ctx: R.poisson(3, shape=5, ctx=ctx),
    "negative_binomial": lambda ctx: R.negative_binomial(3, 0.5, shape=5, ctx=ctx),
    "generalized_negative_binomial":
        lambda ctx: R.generalized_negative_binomial(2, 0.5, shape=5, ctx=ctx),
    "randint": lambda ctx: R.randint(0, 1000, shape=5, ctx=ctx),
    "per-element normal": lambda ctx: R.normal(mx.nd.zeros(5, ctx=ctx), mx.nd.ones(5, ctx=ctx)),
    "normal_like": lambda ctx: R.normal_like(mx.nd.zeros(5, ctx=ctx)),
    "multinomial": lambda ctx: R.multinomial(mx.nd.ones((2, 4), ctx=ctx) / 4, shape=5),
    "shuffle": lambda ctx: R.shuffle(mx.nd.arange(10, ctx=ctx)),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_seeding_makes_every_sampler_reproducible(name):
    draw = SAMPLERS[name]
    mx.random.seed(42)
    first = [draw(mx.cpu()).asnumpy() for _ in range(2)]
    mx.random.seed(42)
    again = [draw(mx.cpu()).asnumpy() for _ in range(2)]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], first[1])


def test_different_seeds_give_different_streams():
    mx.random.seed(1)
    a = R.uniform(shape=8).asnumpy()
    mx.random.seed(2)
    assert not np.array_equal(a, R.uniform(shape=8).asnumpy())


def test_devices_have_their_own_streams():
    mx.random.seed(7)
    a0 = R.uniform(shape=8, ctx=mx.cpu(0)).asnumpy()
    a1 = R.uniform(shape=8, ctx=mx.cpu(1)).asnumpy()
    assert not np.array_equal(a0, a1)
    # Draws on one device do not move another device's stream.
    mx.random.seed(7)
    R.uniform(shape=100, ctx=mx.cpu(1))
    np.testing.assert_array_equal(R.uniform(shape=8, ctx=mx.cpu(0)).asnumpy(), a0)


def test_seeding_one_device_leaves_the_others_alone():
    mx.random.seed(3)
    R.uniform(shape=4, ctx=mx.cpu(0))
    expected_next = R.uniform(shape=4, ctx=mx.cpu(0)).asnumpy()
    mx.random.seed(3)
    R.uniform(shape=4, ctx=mx.cpu(0))
    mx.random.seed(99, ctx=mx.cpu(1))
    np.testing.assert_array_equal(R.uniform(shape=4, ctx=mx.cpu(0)).asnumpy(), expected_next)
    b = R.uniform(shape=4, ctx=mx.cpu(1)).asnumpy()
    mx.random.seed(99, ctx=mx.cpu(1))
    np.testing.assert_array_equal(R.uniform(shape=4, ctx=mx.cpu(1)).asnumpy(), b)


def test_results_follow_program_order_when_the_engine_defers_work():
    # A sampler whose input is still being computed runs later on the engine; the
    # numbers it draws must not depend on that.
    def run():
        mx.random.seed(5)
        big = mx.nd.ones((300, 300)) * 2
        deferred = R.normal_like(big)
        inline = R.uniform(shape=4)
        return deferred.asnumpy()[:2, :2], inline.asnumpy()
    first, again = run(), run()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])


def test_mx_random_has_the_samplers_of_nd_random():
    for name in ("uniform", "normal", "randn", "exponential", "gamma", "poisson",
                 "negative_binomial", "generalized_negative_binomial", "multinomial",
                 "shuffle", "randint"):
        assert getattr(mx.random, name) is getattr(mx.nd.random, name)


def test_seed_rejects_bad_arguments():
    with pytest.raises(mx.MXNetError):
        mx.random.seed("abc")
    with pytest.raises(mx.MXNetError):
        mx.random.seed(1, ctx="gpu")
