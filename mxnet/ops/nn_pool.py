"""Neural-network operators: pool (declarations added by its owner)."""
