"""Output names of the loss-marking ops, as MXNet 1.9.1 lists them."""
import mxnet as mx


def test_make_loss_output_is_named_loss():
    x = mx.sym.var("x")
    assert mx.sym.make_loss(x, name="a").list_outputs() == ["a_loss"]
    assert mx.sym.make_loss(x, name="a").get_internals().list_outputs() == ["x", "a_loss"]


def test_makeloss_output_keeps_default_name():
    x = mx.sym.var("x")
    assert mx.sym.MakeLoss(x, name="b").list_outputs() == ["b_output"]
    group = mx.sym.Group([mx.sym.make_loss(x, name="c"), mx.sym.MakeLoss(x, name="d")])
    assert group.list_outputs() == ["c_loss", "d_output"]
