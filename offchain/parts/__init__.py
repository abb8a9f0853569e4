"""Part data: an STL file's public data and the chain's integer units (no chain, no orders)."""
