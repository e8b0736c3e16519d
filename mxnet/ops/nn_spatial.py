"""Neural-network operators: spatial (declarations added by its owner)."""
