"""Write MXNet 1.9.1's JSON after ``optimize_for('MKLDNN')`` for the graphs of
tests/symbol/fused_pattern_cases.py and its model-zoo networks.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_fused_patterns.py

``tests/fixtures/symbol/fused_patterns.json.gz`` holds {"cases": {name: json},
"zoo": {model: json}}.
"""
import gzip
import importlib.util
import json
import os

import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "symbol", "fused_patterns.json.gz")


def _load_cases():
    # Loaded by path: putting the repository on sys.path would shadow real MXNet.
    path = os.path.join(HERE, "..", "tests", "symbol", "fused_pattern_cases.py")
    spec = importlib.util.spec_from_file_location("fused_pattern_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    cases = _load_cases()
    out = {"cases": {name: cases.build(mx.sym, mx.sym.var, name).optimize_for("MKLDNN").tojson()
                     for name in cases.CASES},
           "zoo": {name: cases.optimized_model(mx, name).tojson() for name in cases.ZOO_MODELS}}
    # mtime=0: the same graphs give the same bytes.
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(json.dumps(out, sort_keys=True).encode())


if __name__ == "__main__":
    main()
