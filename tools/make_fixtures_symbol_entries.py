"""Write MXNet 1.9.1's JSON for the graphs of tests/symbol/entry_cases.py.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_symbol_entries.py

``tests/fixtures/symbol/entries.json`` maps each case (row counts, entry
versions, AMP casts, fused subgraphs, op declarations) to
{"json": tojson(), "json_with_casts": tojson(remove_amp_cast=False),
"outputs": list_outputs(), "internals": get_internals().list_outputs(),
"debug_str": debug_str()}. ``tests/fixtures/symbol/zoo_optimized.json.gz`` maps
each model of ``entry_cases.ZOO_MODELS`` to the JSON of its symbol (the model
called on ``mx.sym.var("data")``) after ``optimize_for('MKLDNN')``.
"""
import gzip
import importlib.util
import json
import os

import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "symbol", "entries.json")
ZOO_OUT = os.path.join(HERE, "..", "tests", "fixtures", "symbol", "zoo_optimized.json.gz")


def _load_cases():
    # Loaded by path: putting the repository on sys.path would shadow real MXNet.
    path = os.path.join(HERE, "..", "tests", "symbol", "entry_cases.py")
    spec = importlib.util.spec_from_file_location("entry_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    cases = _load_cases()
    out = {}
    for name in cases.CASES:
        sym = cases.build(mx, name)
        out[name] = {"json": sym.tojson(), "json_with_casts": sym.tojson(remove_amp_cast=False),
                     "outputs": sym.list_outputs(),
                     "internals": sym.get_internals().list_outputs(),
                     "debug_str": sym.debug_str()}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    zoo = {name: cases.optimized_model(mx, name).tojson() for name in cases.ZOO_MODELS}
    with gzip.open(ZOO_OUT, "wt") as f:
        json.dump(zoo, f, sort_keys=True)


if __name__ == "__main__":
    main()
