"""Neural-network operators: conv (declarations added by its owner)."""
