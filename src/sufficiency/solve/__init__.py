"""The LP backend: sparse matrices, the PuLP face (the only ``import pulp``), engines, parts."""
