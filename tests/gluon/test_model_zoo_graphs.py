"""Graphs of model-zoo networks against MXNet 1.9.1 (fixture from
tools/make_fixtures_model_zoo_graphs.py): same nodes, in the same order, with
the same operands, so exported JSON and print_summary read like MXNet's."""
import contextlib
import gzip
import io
import json
import os

import pytest

import mxnet as mx
from mxnet.gluon.model_zoo import vision

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "model_zoo", "graphs.json.gz")
with gzip.open(FIXTURE, "rt") as _f:
    EXPECTED = json.load(_f)


def model_symbol(name):
    with mx.name.NameManager():
        net = vision.get_model(name, **EXPECTED["kwargs"])
    return net(mx.sym.var("data"))


def nodes(sym):
    raw = json.loads(sym.tojson())["nodes"]
    return [[n["op"], n["name"], [[raw[i]["name"], j] for i, j, *_ in n["inputs"]]]
            for n in raw]


@pytest.mark.parametrize("name", sorted(EXPECTED["graphs"]))
def test_graph_nodes_and_operands_match_mxnet(name):
    assert nodes(model_symbol(name)) == EXPECTED["graphs"][name]


def test_print_summary_matches_mxnet():
    want = EXPECTED["summary"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        mx.viz.print_summary(model_symbol(want["model"]), shape={"data": tuple(want["shape"])})
    assert buf.getvalue() == want["text"]
