"""Write tests/fixtures/model_zoo/graphs.json.gz with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_model_zoo_graphs.py

For each model in ``MODELS`` (built in a fresh name scope, so names start at
``resnetv10_``), the graph of ``net(mx.sym.var('data'))`` as a list of
``[op, name, [[input name, output index], ...]]`` in JSON node order, and for
``SUMMARY`` the text ``mx.viz.print_summary`` prints. Tests compare our
exported graphs with these, so hybrid_forward call and operand order must
match MXNet's.
"""
import contextlib
import gzip
import io
import json
import os

import mxnet as mx
from mxnet.gluon.model_zoo import vision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "model_zoo", "graphs.json.gz")
MODELS = ["resnet18_v1", "resnet50_v1", "resnet18_v2", "resnet50_v2"]
KWARGS = {"classes": 10, "thumbnail": True}
SUMMARY = ("resnet18_v1", (1, 3, 32, 32))


def model_symbol(name):
    with mx.name.NameManager():
        net = vision.get_model(name, **KWARGS)
    return net(mx.sym.var("data"))


def nodes(sym):
    raw = json.loads(sym.tojson())["nodes"]
    return [[n["op"], n["name"], [[raw[i]["name"], j] for i, j, *_ in n["inputs"]]]
            for n in raw]


def summary(name, shape):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        mx.viz.print_summary(model_symbol(name), shape={"data": shape})
    return buf.getvalue()


def main():
    data = {"kwargs": KWARGS, "graphs": {name: nodes(model_symbol(name)) for name in MODELS},
            "summary": {"model": SUMMARY[0], "shape": SUMMARY[1],
                        "text": summary(*SUMMARY)}}
    with gzip.open(OUT, "wt") as f:
        json.dump(data, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
