"""Graph operators on CSR adjacency matrices (the DGL family, edge_id, getnnz).

A graph is a square CSR matrix whose row v lists the edges leaving vertex v:
column = the other vertex, value = the edge id (int64; ids may be 0, so the
stored structure matters, not just the nonzero values). These ops exist only
for csr storage: each has a storage rule in ``sparse_ops.RULES`` whose kernel
works on the compressed arrays (items ``("csr", data, indptr, indices,
shape)``, see ``sparse_ops``); the dense ``compute`` only rejects dense input,
as MXNet does.
"""
import logging

import numpy as np

from ..base import MXNetError
from . import sparse_ops
from .params import Param
from .registry import register

_log = logging.getLogger(__name__)
IDX = np.int64


def _dense_input(name, what):
    def compute(xp, attrs, *inputs, **resources):
        raise MXNetError(f"{name}: argument '{what}' must be a CSRNDArray (csr storage), "
                         "got a dense NDArray")
    compute.__name__ = name
    return compute


def _csr_item(data, indptr, indices, shape):
    return ("csr", data, indptr.astype(IDX), indices.astype(IDX), tuple(shape))


def _check_graph(name, item, what="data", square=False, int64=True):
    if not isinstance(item, tuple) or item[0] != "csr":
        raise MXNetError(f"{name}: argument '{what}' must be a CSRNDArray")
    shape = item[-1]
    if int64 and item[1].dtype != np.int64:
        raise MXNetError(f"{name}: argument '{what}' must hold int64 edge ids, got "
                         f"{item[1].dtype}")
    if square and shape[0] != shape[1]:
        raise MXNetError(f"{name}: argument '{what}' must be a square adjacency matrix, got "
                         f"shape {shape}")
    return item[1], item[2], item[3], shape


def _vertex_ids(name, arr, what, n_vertices, dtype_int64=True):
    if not isinstance(arr, np.ndarray) or arr.ndim != 1:
        raise MXNetError(f"{name}: argument '{what}' must be a 1-D dense array of vertex ids, "
                         f"got {getattr(arr, 'shape', type(arr).__name__)}")
    if dtype_int64 and arr.dtype != np.int64:
        raise MXNetError(f"{name}: argument '{what}' must have dtype int64, got {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_vertices):
        raise MXNetError(f"{name}: argument '{what}' holds vertex ids outside [0, {n_vertices}):"
                         f" {arr.tolist()}")
    return arr.astype(IDX)


def _row_entries(indptr, rows):
    """Positions in data/indices of the entries of ``rows`` (in order), and the
    number of entries of each row."""
    starts, counts = indptr[rows], indptr[rows + 1] - indptr[rows]
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.arange(counts.sum(), dtype=IDX) + offsets, counts


def _indptr(counts):
    out = np.zeros(len(counts) + 1, IDX)
    np.cumsum(counts, out=out[1:])
    return out


def _storage_rule(name, kernel, stypes_ok):
    def rule(attrs, stypes, items):
        if not stypes_ok(stypes):
            raise sparse_ops.not_implemented(name, stypes, attrs)
        return ("csr", kernel, False)
    sparse_ops.RULES[name] = rule


def _first_csr(stypes):
    return stypes[0] == "csr" and all(s == "default" for s in stypes[1:])


# -- dgl_adjacency ------------------------------------------------------------------
def _adjacency_type(attrs, types):
    if types[0] is not None and types[0] != "int64":
        raise MXNetError(f"_contrib_dgl_adjacency: argument 'data' must hold int64 edge ids, "
                         f"got {types[0]}")
    return ["int64"], ["float32"]


register("_contrib_dgl_adjacency", infer_shape=lambda attrs, s: (s, [s[0]]),
         infer_type=_adjacency_type,
         doc="The adjacency matrix of a graph: a float32 CSR matrix with the graph's "
             "structure and 1 at every stored edge (whatever its id).")(
    _dense_input("_contrib_dgl_adjacency", "data"))


def _adjacency(op, attrs, items):
    data, indptr, indices, shape = _check_graph(op.name, items[0])
    return [_csr_item(np.ones(len(data), np.float32), indptr.copy(), indices.copy(), shape)]


_storage_rule("_contrib_dgl_adjacency", _adjacency, lambda s: s == ("csr",))


# -- edge_id -----------------------------------------------------------------------
def _edge_id_shape(attrs, shapes):
    _, u, v = shapes
    for name, s in (("u", u), ("v", v)):
        if s is not None and len(s) != 1:
            raise MXNetError(f"_contrib_edge_id: argument '{name}' must be 1-D, got shape "
                             f"{tuple(s)}")
    if u is not None and v is not None and u != v:
        raise MXNetError(f"_contrib_edge_id: arguments 'u' and 'v' must have the same length, "
                         f"got {tuple(u)} and {tuple(v)}")
    known = u or v
    return [shapes[0], known, known], [known]


register("_contrib_edge_id", inputs=("data", "u", "v"), infer_shape=_edge_id_shape,
         infer_type=lambda attrs, t: (t, [t[0]]),
         doc="Edge ids of the edges u[i] -> v[i] of a CSR graph (the stored value at "
             "row u[i], column v[i]), -1 where there is no such edge. The result has "
             "the dtype of the graph's values.")(_dense_input("_contrib_edge_id", "data"))


def _edge_id(op, attrs, items):
    data, indptr, indices, shape = _check_graph(op.name, items[0], int64=False)
    _edge_id_shape(attrs, [shape, items[1].shape, items[2].shape])
    rows, cols = shape
    u = _vertex_ids(op.name, items[1], "u", rows, dtype_int64=False)
    v = _vertex_ids(op.name, items[2], "v", cols, dtype_int64=False)
    nnz = int(indptr[-1])
    keys = sparse_ops.csr_rows(indptr)[:nnz] * cols + indices[:nnz]
    order = np.argsort(keys, kind="stable")  # the first entry wins for repeated columns
    keys = keys[order]
    want = u * cols + v
    pos = np.minimum(np.searchsorted(keys, want), max(nnz - 1, 0))
    found = keys[pos] == want if nnz else np.zeros(len(want), bool)
    out = np.full(len(want), -1, data.dtype)
    out[found] = data[order[pos[found]]]
    return [out]


_storage_rule("_contrib_edge_id", _edge_id, _first_csr)


# -- getnnz ------------------------------------------------------------------------
def _nnz_axis(attrs):
    if attrs.axis not in (None, 0, 1):
        raise MXNetError(f"_contrib_getnnz: argument 'axis' expects None, 0 or 1, got "
                         f"{attrs.axis}")
    return attrs.axis


def _nnz_shape(attrs, shapes):
    axis, s = _nnz_axis(attrs), shapes[0]
    if axis is None:
        return shapes, [(1,)]
    return shapes, [None if s is None else (s[1 - axis],)]


register("_contrib_getnnz", params={"axis": Param("int", None, "None: all stored values; 0: "
                                                             "per column; 1: per row.")},
         infer_shape=_nnz_shape, infer_type=lambda attrs, t: (t, ["int64"]),
         doc="Number of stored values of a CSR matrix, explicit zeros included: in total "
             "(shape (1,)), per column (axis=0; MXNet 1.9.1 does not implement it) or per "
             "row (axis=1).")(_dense_input("_contrib_getnnz", "data"))


def _getnnz(op, attrs, items):
    _, indptr, indices, shape = _check_graph(op.name, items[0], int64=False)
    axis = _nnz_axis(attrs)
    nnz = int(indptr[-1])
    if axis is None:
        return [np.array([nnz], IDX)]
    if axis == 0:
        return [np.bincount(indices[:nnz], minlength=shape[1]).astype(IDX)]
    return [np.diff(indptr).astype(IDX)]


_storage_rule("_contrib_getnnz", _getnnz, lambda s: s == ("csr",))


# -- dgl_subgraph ------------------------------------------------------------------
def _n_sets(attrs, fixed):
    n = attrs.num_args - fixed
    if n < 1:
        raise MXNetError(f"argument 'num_args' must count the graph inputs and at least one "
                         f"vertex array, got {attrs.num_args}")
    return n


def _with_mapping(n, attrs):
    return n * (2 if attrs.return_mapping else 1)


def _subgraph_shape(attrs, shapes):
    sets = shapes[1:]
    outs = [None if s is None else (s[0], s[0]) for s in sets]
    return shapes, outs * (2 if attrs.return_mapping else 1)


register("_contrib_dgl_subgraph", inputs=("graph", "data"), variadic="num_args",
         params={"return_mapping": Param("bool", doc="Also return each subgraph with the "
                                                     "parent graph's edge ids.")},
         num_outputs=lambda attrs: _with_mapping(_n_sets(attrs, 1), attrs),
         infer_shape=_subgraph_shape,
         infer_type=lambda attrs, t: (["int64"] * len(t),
                                      ["int64"] * _with_mapping(len(t) - 1, attrs)),
         doc="Induced subgraphs of a CSR graph (the first input) on each sorted array "
             "of vertex ids that follows: row/column i of a subgraph is the i-th listed "
             "vertex and its values are new edge ids 0, 1, ... in row order. With "
             "return_mapping, a second CSR matrix per subgraph holds the parent graph's "
             "edge ids; all new-id matrices come first.")(
    _dense_input("_contrib_dgl_subgraph", "graph"))


def _induced(name, data, indptr, indices, vertices):
    if np.any(np.diff(vertices) < 0):
        raise MXNetError(f"{name}: vertex ids must be sorted in ascending order, got "
                         f"{vertices.tolist()}")
    pos, counts = _row_entries(indptr, vertices)
    cols = indices[pos]
    # A repeated vertex maps to its last position, as MXNet's id map does.
    where = np.searchsorted(vertices, cols, side="right") - 1
    keep = (where >= 0) & (vertices[np.maximum(where, 0)] == cols)
    row_of = np.repeat(np.arange(len(vertices)), counts)
    kept_counts = np.bincount(row_of[keep], minlength=len(vertices))
    indptr_out = _indptr(kept_counts)
    shape = (len(vertices), len(vertices))
    new_ids = _csr_item(np.arange(int(keep.sum()), dtype=IDX), indptr_out,
                        where[keep], shape)
    old_ids = _csr_item(data[pos[keep]].copy(), indptr_out.copy(), where[keep].copy(), shape)
    return new_ids, old_ids


def _subgraph(op, attrs, items):
    data, indptr, indices, shape = _check_graph(op.name, items[0], "graph", square=True)
    pairs = [_induced(op.name, data, indptr, indices,
                      _vertex_ids(op.name, vs, f"data{i}", shape[0]))
             for i, vs in enumerate(items[1:])]
    outs = [p[0] for p in pairs]
    return outs + ([p[1] for p in pairs] if attrs.return_mapping else [])


_storage_rule("_contrib_dgl_subgraph", _subgraph, _first_csr)


# -- dgl_graph_compact ---------------------------------------------------------------
def _compact_sizes(attrs):
    n = attrs.num_args // 2
    if attrs.num_args % 2 or n < 1 or len(attrs.graph_sizes) != n:
        raise MXNetError(f"_contrib_dgl_graph_compact: expects n csr graphs, then n vertex "
                         f"arrays and n graph_sizes; got num_args={attrs.num_args} and "
                         f"graph_sizes={attrs.graph_sizes}")
    return attrs.graph_sizes


def _compact_shape(attrs, shapes):
    outs = [(s, s) for s in _compact_sizes(attrs)]
    return shapes, outs * (2 if attrs.return_mapping else 1)


def _compact_type(attrs, types):
    n = len(_compact_sizes(attrs))
    return ["int64"] * len(types), ["int64"] * _with_mapping(n, attrs)


register("_contrib_dgl_graph_compact", inputs=("graph_data",), variadic="num_args",
         params={"return_mapping": Param("bool", doc="Also return each graph with its "
                                                     "original edge ids."),
                 "graph_sizes": Param("shape", doc="Number of vertices of each graph.")},
         num_outputs=lambda attrs: _with_mapping(len(_compact_sizes(attrs)), attrs),
         infer_shape=_compact_shape, infer_type=_compact_type,
         doc="Compact the CSR graphs made by the neighbour samplers: inputs are n graphs "
             "then their n vertex arrays (the samplers' first outputs, ending with the "
             "vertex count). Graph i keeps its first graph_sizes[i] rows, its columns are "
             "renumbered to positions in the vertex array, and values become new edge "
             "ids 0, 1, ...; with return_mapping a second matrix per graph keeps the "
             "original edge ids (MXNet 1.9.1 leaves that one empty).")(
    _dense_input("_contrib_dgl_graph_compact", "graph_data"))


def _compact_one(name, item, vids, size):
    data, indptr, indices, shape = _check_graph(name, item, "graph_data")
    if vids.ndim != 1 or len(vids) < size + 1:
        raise MXNetError(f"{name}: a vertex array must be 1-D with the vertex count last, "
                         f"got shape {vids.shape} for graph_size {size}")
    if int(vids[-1]) != size or size > shape[0]:
        raise MXNetError(f"{name}: graph_sizes entry {size} does not match the vertex count "
                         f"{int(vids[-1])} of its vertex array (graph has {shape[0]} rows)")
    vertices = vids[:size].astype(IDX)
    order = np.argsort(vertices, kind="stable")
    pos, counts = _row_entries(indptr, np.arange(size))
    cols = indices[pos]
    at = np.minimum(np.searchsorted(vertices[order], cols), max(size - 1, 0))
    if len(cols) and (size == 0 or np.any(vertices[order][at] != cols)):
        missing = sorted(set(cols.tolist()) - set(vertices.tolist()))
        raise MXNetError(f"{name}: edges lead to vertices {missing} that are not in the "
                         f"vertex array {vertices.tolist()}")
    new_cols = order[at] if len(cols) else cols
    indptr_out = _indptr(counts)
    shape = (size, size)
    return (_csr_item(np.arange(len(cols), dtype=IDX), indptr_out, new_cols, shape),
            _csr_item(data[pos].copy(), indptr_out.copy(), new_cols.copy(), shape))


def _graph_compact(op, attrs, items):
    sizes = _compact_sizes(attrs)
    n = len(sizes)
    pairs = [_compact_one(op.name, items[i], items[n + i], sizes[i]) for i in range(n)]
    outs = [p[0] for p in pairs]
    return outs + ([p[1] for p in pairs] if attrs.return_mapping else [])


_storage_rule("_contrib_dgl_graph_compact", _graph_compact,
              lambda s: len(s) % 2 == 0 and all(x == "csr" for x in s[:len(s) // 2])
              and all(x == "default" for x in s[len(s) // 2:]))


# -- neighbour sampling ----------------------------------------------------------------
_SAMPLE_PARAMS = {
    "num_hops": Param("int", 1, "Number of hops (layers) to sample around the seeds."),
    "num_neighbor": Param("int", 2, "Neighbours sampled per vertex."),
    "max_num_vertices": Param("int", 100, "Most vertices in a sampled subgraph."),
}


def _sample_outputs(attrs, fixed, weighted):
    per_seed = 4 if weighted else 3
    return per_seed * _n_sets(attrs, fixed)


def _sample_shape(fixed, weighted):
    def infer(attrs, shapes):
        n, m = _n_sets(attrs, fixed), attrs.max_num_vertices
        graph = shapes[0]
        sub = None if graph is None else (m, graph[1])
        outs = [(m + 1,)] * n + [sub] * n + ([(m,)] * n if weighted else []) + [(m,)] * n
        return shapes, outs
    return infer


def _sample_type(fixed, weighted):
    def infer(attrs, types):
        n = _n_sets(attrs, fixed)
        ins = ["int64"] + (["float32"] if weighted else []) + ["int64"] * n
        for i, (given, want) in enumerate(zip(types, ins)):
            if given is not None and given != want:
                raise MXNetError(f"input {i} must have dtype {want}, got {given}")
        return ins, ["int64"] * (2 * n) + (["float32"] * n if weighted else []) + ["int64"] * n
    return infer


def _pick_uniform(rng, cols, k, weights):
    return np.sort(rng.choice(len(cols), k, replace=False))


def _pick_weighted(rng, cols, k, weights):
    # Weighted sampling without replacement (Efraimidis-Spirakis keys u^(1/w)); zero-weight
    # neighbours come last, in random order, as MXNet still fills num_neighbor slots.
    w = weights[cols].astype(np.float64)
    u = rng.random(len(cols))
    keys = np.where(w > 0, np.log(np.maximum(u, 1e-300)) / np.where(w > 0, w, 1), -np.inf)
    order = np.lexsort((rng.random(len(cols)), keys))[::-1]
    return np.sort(order[:k])


def _sample_one(graph, seeds, attrs, rng, weights):
    """BFS from ``seeds``: each vertex not in the last layer gets up to num_neighbor
    sampled out-edges; new vertices join while there is room for them."""
    _, indptr, indices, _ = graph
    data = graph[0]
    cap, hops, k = attrs.max_num_vertices, attrs.num_hops, attrs.num_neighbor
    pick = _pick_uniform if weights is None else _pick_weighted
    layer = {}
    queue = []
    for v in seeds.tolist():
        if v not in layer:
            layer[v] = 0
            queue.append(v)
    edges = {}
    head = 0
    while head < len(queue) and len(layer) < cap:
        v = queue[head]
        head += 1
        if layer[v] >= hops:
            continue
        lo, hi = int(indptr[v]), int(indptr[v + 1])
        chosen = np.arange(hi - lo) if hi - lo <= k else pick(rng, indices[lo:hi], k, weights)
        cols, ids = indices[lo:hi][chosen], data[lo:hi][chosen]
        edges[v] = (cols, ids)
        for c in cols.tolist():
            if c not in layer and len(layer) < cap:
                layer[c] = layer[v] + 1
                queue.append(c)
    if any(layer[v] < hops for v in queue[head:]):
        _log.warning("dgl neighbour sampling stopped at max_num_vertices=%d before reaching "
                     "%d hops; use fewer seeds or a smaller neighbourhood", cap, hops)
    return layer, edges


def _sampled_items(graph, layer, edges, cap, weights):
    vertices = np.array(sorted(layer), IDX)
    n = len(vertices)
    ids = np.zeros(cap + 1, IDX)
    ids[:n] = vertices
    ids[cap] = n
    layers = np.zeros(cap, IDX)
    layers[:n] = [layer[v] for v in vertices.tolist()]
    empty = (np.zeros(0, IDX), np.zeros(0, graph[0].dtype))
    rows = [edges.get(v, empty) for v in vertices.tolist()]
    counts = np.zeros(cap, IDX)
    counts[:n] = [len(r[0]) for r in rows]
    cols = np.concatenate([r[0] for r in rows] + [empty[0]]).astype(IDX)
    data = np.concatenate([r[1] for r in rows] + [empty[1]]).astype(graph[0].dtype)
    csr = _csr_item(data, _indptr(counts), cols, (cap, graph[3][1]))
    if weights is None:
        return ids, csr, None, layers
    probs = np.zeros(cap, np.float32)
    probs[:n] = weights[vertices]
    return ids, csr, probs, layers


def _sampler(weighted):
    fixed = 2 if weighted else 1
    name = ("_contrib_dgl_csr_neighbor_non_uniform_sample" if weighted
            else "_contrib_dgl_csr_neighbor_uniform_sample")

    def kernel(op, attrs, items, rng=None):
        if rng is None:
            # The storage dispatcher passes no resources yet: take the default
            # device's stream, which mx.random.seed also seeds.
            from .. import random as _random
            from ..context import current_context
            rng = _random.generator(current_context())
        graph = _check_graph(name, items[0], "csr_matrix", square=True)
        weights = None
        if weighted:
            weights = items[1]
            if weights.dtype != np.float32 or weights.shape != (graph[3][0],):
                raise MXNetError(f"{name}: argument 'probability' must be float32 of shape "
                                 f"({graph[3][0]},) (one weight per vertex), got "
                                 f"{weights.dtype} {weights.shape}")
        if attrs.num_hops < 0 or attrs.num_neighbor < 0:
            raise MXNetError(f"{name}: num_hops and num_neighbor must be non-negative, got "
                             f"{attrs.num_hops} and {attrs.num_neighbor}")
        results = []
        for i, seeds in enumerate(items[fixed:]):
            seeds = _vertex_ids(name, seeds, f"seed_arrays{i}", graph[3][0])
            if len(seeds) > attrs.max_num_vertices:
                raise MXNetError(f"{name}: max_num_vertices={attrs.max_num_vertices} is less "
                                 f"than the number of seeds ({len(seeds)})")
            layer, edges = _sample_one(graph, seeds, attrs, rng, weights)
            results.append(_sampled_items(graph, layer, edges, attrs.max_num_vertices,
                                          weights))
        groups = [[r[j] for r in results] for j in range(4)]
        return groups[0] + groups[1] + (groups[2] if weighted else []) + groups[3]

    inputs = ("csr_matrix", "probability", "seed_arrays") if weighted else \
        ("csr_matrix", "seed_arrays")
    register(name, inputs=inputs, variadic="num_args", params=dict(_SAMPLE_PARAMS),
             num_outputs=lambda attrs: _sample_outputs(attrs, fixed, weighted),
             infer_shape=_sample_shape(fixed, weighted),
             infer_type=_sample_type(fixed, weighted), resources=("rng",),
             doc=(f"Sample subgraphs around seed vertices of a CSR graph by "
                  f"{'weighted' if weighted else 'uniform'} neighbour sampling. Inputs: "
                  f"{', '.join(inputs)}... (int64 vertex ids). For each seed array, "
                  "breadth-first from the seeds, every vertex closer than num_hops gets up "
                  "to num_neighbor of its out-edges sampled without replacement"
                  + (" with chance proportional to probability[neighbour]" if weighted
                     else "") + "; new vertices join while fewer than max_num_vertices are "
                  "in. Outputs, grouped by kind over the seed arrays: the sorted vertex ids "
                  "(max_num_vertices + 1 long, the count last), the sampled edges as a "
                  "(max_num_vertices, N) CSR matrix with the original edge ids, one row per "
                  "listed vertex"
                  + (", the vertices' probabilities (float32)" if weighted else "")
                  + ", and each vertex's layer (hop count)."))(
        _dense_input(name, "csr_matrix"))

    def check(stypes):
        return stypes[0] == "csr" and all(s == "default" for s in stypes[1:])
    _storage_rule(name, kernel, check)


_sampler(weighted=False)
_sampler(weighted=True)
