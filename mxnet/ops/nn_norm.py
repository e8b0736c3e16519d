"""Neural-network operators: norm (declarations added by its owner)."""
