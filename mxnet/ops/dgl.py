"""Graph operators on CSR adjacency matrices (the DGL family, edge_id, getnnz)."""
