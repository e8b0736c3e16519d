"""Neural-network operators: detection (declarations added by its owner)."""
