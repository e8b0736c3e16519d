"""A var's list of pending readers exists only once something was pushed."""
import mxnet as mx
from mxnet.engine import Var
from mxnet.engine.threaded import ThreadedEngine


def test_a_fresh_var_has_no_reader_list():
    assert Var().reads == ()
    assert mx.nd.ones((2,))._var.reads == ()


def test_pushed_reads_and_writes_are_ordered_from_a_fresh_var():
    engine = ThreadedEngine(per_device=True)
    source, target = Var(), Var()
    order = []
    engine.push(lambda: order.append("read"), mx.cpu(), [source], [target])
    engine.push(lambda: order.append("write"), mx.cpu(), [], [source])
    engine.wait_all()
    assert order == ["read", "write"]
    assert source.reads == () and source.pending == 0 and source.version == 1
