"""Write tests/fixtures/ops/misc2.npz with MXNet 1.9.1 (run with the oracle, from outside
the repository): hawkesll forward values, and the deterministic graph operators on CSR
matrices (dgl_adjacency, edge_id, getnnz, dgl_subgraph, dgl_graph_compact).

CSR results are stored as their three arrays: ``<key>_data``, ``<key>_indptr``,
``<key>_indices`` (plus ``<key>_shape``), since explicit zeros (edge id 0) matter.
"""
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "ops", "misc2.npz")


def put_csr(out, key, arr):
    out[f"{key}_data"] = arr.data.asnumpy()
    out[f"{key}_indptr"] = arr.indptr.asnumpy()
    out[f"{key}_indices"] = arr.indices.asnumpy()
    out[f"{key}_shape"] = np.array(arr.shape)


def hawkes_cases(out):
    r = np.random.RandomState(0)
    n, k, t = 4, 3, 5
    for dtype in ("float32", "float64"):
        args = {"lda": r.uniform(0.5, 2, (n, k)), "alpha": r.uniform(0.1, 0.6, k),
                "beta": r.uniform(0.5, 3, k), "state": r.uniform(0, 1, (n, k)),
                "lags": r.uniform(0.05, 1, (n, t)), "valid_length": np.array([0, 2, 4, 5]),
                "max_time": np.array([1.0, 3.0, 4.0, 6.0])}
        args = {key: v.astype(dtype) for key, v in args.items()}
        args["marks"] = r.randint(0, k, (n, t)).astype("int32")
        order = ("lda", "alpha", "beta", "state", "lags", "marks", "valid_length", "max_time")
        ll, state = mx.nd.contrib.hawkesll(*[mx.nd.array(args[a], dtype=args[a].dtype)
                                             for a in order])
        for key in order:
            out[f"hawkes_{dtype}_{key}"] = args[key]
        out[f"hawkes_{dtype}_loglik"] = ll.asnumpy()
        out[f"hawkes_{dtype}_out_state"] = state.asnumpy()


def graph():
    """A 5-vertex directed graph whose csr values are edge ids (0 included)."""
    dense = np.array([[0, 1, 0, 2, 0],
                      [3, 0, 0, 0, 4],
                      [0, 5, 0, 6, 0],
                      [0, 0, 7, 0, 8],
                      [9, 0, 0, 10, 0]], np.int64)
    rows, cols = np.nonzero(dense)
    data = dense[rows, cols] - 1  # edge ids 0..9
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=5))])
    return mx.nd.sparse.csr_matrix((data, cols, indptr), shape=(5, 5))


def graph_cases(out):
    g = graph()
    put_csr(out, "graph", g)
    put_csr(out, "adjacency", mx.nd.contrib.dgl_adjacency(g))
    u = np.array([0, 0, 1, 2, 4, 3, 4], np.int64)
    v = np.array([1, 2, 0, 3, 0, 3, 3], np.int64)
    out["edge_u"], out["edge_v"] = u, v
    out["edge_id"] = mx.nd.contrib.edge_id(g, mx.nd.array(u, dtype="int64"),
                                           mx.nd.array(v, dtype="int64")).asnumpy()
    gf = g.astype("float32")
    out["edge_id_float32"] = mx.nd.contrib.edge_id(gf, mx.nd.array(u), mx.nd.array(v)).asnumpy()
    out["getnnz"] = mx.nd.contrib.getnnz(g).asnumpy()
    out["getnnz_axis1"] = mx.nd.contrib.getnnz(g, axis=1).asnumpy()
    sets = [np.array([0, 1, 3], np.int64), np.array([1, 2, 3, 4], np.int64)]
    for i, vs in enumerate(sets):
        out[f"subgraph_vertices{i}"] = vs
    res = mx.nd.contrib.dgl_subgraph(g, *[mx.nd.array(vs, dtype="int64") for vs in sets],
                                     return_mapping=True)
    for i, arr in enumerate(res):
        put_csr(out, f"subgraph_out{i}", arr)
    # A sampled layout: rows are the listed vertices (then empty rows), columns are
    # original vertex ids; the vertex array ends with the vertex count.
    sampled = mx.nd.sparse.csr_matrix(
        (np.array([11, 12, 13, 14, 15], np.int64), np.array([3, 4, 1, 4, 1], np.int64),
         np.array([0, 2, 3, 5, 5, 5, 5], np.int64)), shape=(6, 5))
    vids = np.array([4, 1, 3, 0, 0, 0, 3], np.int64)
    put_csr(out, "compact_in", sampled)
    out["compact_vids"] = vids
    (compact,) = [mx.nd.contrib.dgl_graph_compact(sampled, mx.nd.array(vids, dtype="int64"),
                                                  graph_sizes=(3,), return_mapping=False)]
    put_csr(out, "compact_out", compact)


def main():
    out = {}
    hawkes_cases(out)
    graph_cases(out)
    np.savez_compressed(OUT, **out)
    print(f"wrote {len(out)} arrays to {OUT}")


if __name__ == "__main__":
    main()
