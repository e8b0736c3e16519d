"""Neural-network operators: activation (declarations added by its owner)."""
