"""Neural-network operators: loss (declarations added by its owner)."""
