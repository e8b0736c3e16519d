"""Graph operators on CSR matrices: deterministic ones against MXNet 1.9.1 fixtures,
the neighbour samplers by their invariants."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

F = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops", "misc2.npz"))


def csr(key):
    return mx.nd.sparse.csr_matrix((F[f"{key}_data"], F[f"{key}_indices"], F[f"{key}_indptr"]),
                                   shape=tuple(F[f"{key}_shape"]))


def assert_csr_equal(arr, key):
    assert isinstance(arr, mx.nd.sparse.CSRNDArray)
    assert arr.shape == tuple(F[f"{key}_shape"])
    for part in ("data", "indptr", "indices"):
        got, want = getattr(arr, part).asnumpy(), F[f"{key}_{part}"]
        assert got.dtype == want.dtype, f"{key} {part}: dtype {got.dtype}, expected {want.dtype}"
        np.testing.assert_array_equal(got, want, err_msg=f"{key} {part}")


def ids(a):
    return mx.nd.array(a, dtype="int64")


GRAPH = csr("graph")


def test_adjacency_marks_every_stored_edge_with_one():
    assert_csr_equal(mx.nd.contrib.dgl_adjacency(GRAPH), "adjacency")


def test_edge_id_finds_edge_zero_and_gives_minus_one_for_missing_edges():
    out = mx.nd.contrib.edge_id(GRAPH, ids(F["edge_u"]), ids(F["edge_v"]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.asnumpy(), F["edge_id"])


def test_edge_id_has_the_graph_dtype():
    out = mx.nd.contrib.edge_id(GRAPH.astype("float32"), mx.nd.array(F["edge_u"]),
                                mx.nd.array(F["edge_v"]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.asnumpy(), F["edge_id_float32"])


def test_getnnz_counts_stored_values():
    np.testing.assert_array_equal(mx.nd.contrib.getnnz(GRAPH).asnumpy(), F["getnnz"])
    np.testing.assert_array_equal(mx.nd.contrib.getnnz(GRAPH, axis=1).asnumpy(),
                                  F["getnnz_axis1"])
    # axis=0 (per column) is documented but unimplemented in MXNet 1.9.1.
    np.testing.assert_array_equal(mx.nd.contrib.getnnz(GRAPH, axis=0).asnumpy(),
                                  np.bincount(F["graph_indices"], minlength=5))


def test_getnnz_includes_explicit_zeros():
    m = mx.nd.sparse.csr_matrix((np.array([0.0, 5.0, 0.0]), np.array([0, 1, 2]),
                                 np.array([0, 2, 3])), shape=(2, 3))
    assert mx.nd.contrib.getnnz(m).asnumpy().tolist() == [3]


def test_subgraph_new_ids_then_parent_ids():
    sets = [ids(F["subgraph_vertices0"]), ids(F["subgraph_vertices1"])]
    outs = mx.nd.contrib.dgl_subgraph(GRAPH, *sets, return_mapping=True)
    assert len(outs) == 4
    for i, out in enumerate(outs):
        assert_csr_equal(out, f"subgraph_out{i}")
    only = mx.nd.contrib.dgl_subgraph(GRAPH, *sets, return_mapping=False)
    assert len(only) == 2
    assert_csr_equal(only[1], "subgraph_out1")


def test_graph_compact_renumbers_columns_by_vertex_position():
    out = mx.nd.contrib.dgl_graph_compact(csr("compact_in"), ids(F["compact_vids"]),
                                          graph_sizes=(3,), return_mapping=False)
    assert_csr_equal(out, "compact_out")


def test_graph_compact_mapping_keeps_original_edge_ids():
    new, old = mx.nd.contrib.dgl_graph_compact(csr("compact_in"), ids(F["compact_vids"]),
                                               graph_sizes=(3,), return_mapping=True)
    np.testing.assert_array_equal(old.indices.asnumpy(), new.indices.asnumpy())
    np.testing.assert_array_equal(old.data.asnumpy(), F["compact_in_data"])


def complete_graph(n=6):
    dense = np.ones((n, n), np.int64) - np.eye(n, dtype=np.int64)
    rows, cols = np.nonzero(dense)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return mx.nd.sparse.csr_matrix((np.arange(len(rows), dtype=np.int64), cols, indptr),
                                   shape=(n, n)), rows, cols


def check_sample(graph_rows, graph_cols, verts, sub, layer, seeds, cap, hops, k):
    count = int(verts[-1])
    v = verts[:count]
    assert verts.shape == (cap + 1,) and layer.shape == (cap,) and sub.shape == (cap, 6)
    assert np.all(np.diff(v) > 0), "vertices are sorted and distinct"
    assert set(seeds) <= set(v.tolist()) and count <= cap
    assert all(layer[i] == 0 for i in range(count) if v[i] in seeds)
    assert np.all(layer[:count] <= hops)
    edge_ids = sub.data.asnumpy()
    indptr, cols = sub.indptr.asnumpy(), sub.indices.asnumpy()
    assert np.all(np.diff(indptr)[:count] <= k) and np.all(np.diff(indptr)[count:] == 0)
    for row in range(count):
        for pos in range(indptr[row], indptr[row + 1]):
            # Each sampled edge is a real edge of the vertex, named by its original id.
            eid = edge_ids[pos]
            assert graph_rows[eid] == v[row] and graph_cols[eid] == cols[pos]
        if indptr[row + 1] > indptr[row]:
            assert layer[row] < hops, "only vertices before the last hop are expanded"


@pytest.mark.parametrize("hops, k, cap", [(1, 2, 10), (2, 2, 10), (2, 3, 4)])
def test_uniform_sample_invariants(hops, k, cap):
    g, rows, cols = complete_graph()
    seeds = [[0], [2, 5]]
    outs = mx.nd.contrib.dgl_csr_neighbor_uniform_sample(
        g, *[ids(s) for s in seeds], num_hops=hops, num_neighbor=k, max_num_vertices=cap)
    assert len(outs) == 6
    for i, s in enumerate(seeds):
        check_sample(rows, cols, outs[i].asnumpy(), outs[2 + i], outs[4 + i].asnumpy(), s,
                     cap, hops, k)


def test_uniform_sample_takes_all_neighbours_when_few():
    g, rows, cols = complete_graph()
    verts, sub, layer = mx.nd.contrib.dgl_csr_neighbor_uniform_sample(
        g, ids([3]), num_hops=1, num_neighbor=10, max_num_vertices=6)
    assert verts.asnumpy().tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert layer.asnumpy().tolist() == [1, 1, 1, 0, 1, 1]
    assert sub.indices.asnumpy().tolist() == [0, 1, 2, 4, 5]


def test_non_uniform_sample_follows_the_probabilities():
    g, rows, cols = complete_graph()
    prob = mx.nd.array([0, 0, 0, 1, 1, 0])
    verts, sub, p, layer = mx.nd.contrib.dgl_csr_neighbor_non_uniform_sample(
        g, prob, ids([0]), num_hops=1, num_neighbor=2, max_num_vertices=5)
    assert verts.asnumpy().tolist()[:3] == [0, 3, 4] and verts.asnumpy()[-1] == 3
    assert p.dtype == np.float32 and p.asnumpy().tolist() == [0, 1, 1, 0, 0]
    check_sample(rows, cols, verts.asnumpy(), sub, layer.asnumpy(), [0], 5, 1, 2)


def test_sampling_is_reproducible_with_a_seed():
    g, _, _ = complete_graph()

    def run():
        mx.random.seed(7)
        return mx.nd.contrib.dgl_csr_neighbor_uniform_sample(
            g, ids([1]), num_hops=2, num_neighbor=2, max_num_vertices=6)[1].indices.asnumpy()
    np.testing.assert_array_equal(run(), run())


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.contrib.dgl_adjacency(GRAPH.tostype("default")), "csr storage"),
    (lambda: mx.nd.contrib.dgl_adjacency(GRAPH.astype("float32")), "int64"),
    (lambda: mx.nd.contrib.edge_id(GRAPH, ids([0, 1]), ids([1])), "same length"),
    (lambda: mx.nd.contrib.edge_id(GRAPH, ids([7]), ids([1])), "outside"),
    (lambda: mx.nd.contrib.getnnz(GRAPH, axis=2), "axis"),
    (lambda: mx.nd.contrib.dgl_subgraph(GRAPH, ids([2, 0]), return_mapping=False), "sorted"),
    (lambda: mx.nd.contrib.dgl_subgraph(GRAPH, mx.nd.array([0, 1]), return_mapping=False),
     "int64"),
    (lambda: mx.nd.contrib.dgl_graph_compact(csr("compact_in"), ids(F["compact_vids"]),
                                             graph_sizes=(2,), return_mapping=False),
     "vertex count"),
    (lambda: mx.nd.contrib.dgl_csr_neighbor_uniform_sample(
        GRAPH, ids([0, 1, 2]), max_num_vertices=2), "max_num_vertices"),
    (lambda: mx.nd.contrib.dgl_csr_neighbor_uniform_sample(GRAPH, ids([9])), "outside"),
    (lambda: mx.nd.contrib.dgl_csr_neighbor_non_uniform_sample(
        GRAPH, mx.nd.ones(3), ids([0])), "probability"),
])
def test_bad_arguments_raise(call, message):
    with pytest.raises(MXNetError, match=message):
        out = call()
        (out[0] if isinstance(out, list) else out).wait_to_read()


def test_compact_rejects_edges_to_unlisted_vertices():
    sampled = mx.nd.sparse.csr_matrix((np.array([1, 2], np.int64), np.array([1, 4]),
                                       np.array([0, 2, 2, 2])), shape=(3, 5))
    with pytest.raises(MXNetError, match=r"vertices \[4\]"):
        mx.nd.contrib.dgl_graph_compact(sampled, ids([0, 1, 0, 2]), graph_sizes=(2,),
                                        return_mapping=False)
