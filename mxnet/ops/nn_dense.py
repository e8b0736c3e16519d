"""Neural-network operators: dense (declarations added by its owner)."""
