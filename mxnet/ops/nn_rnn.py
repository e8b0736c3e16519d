"""Neural-network operators: rnn (declarations added by its owner)."""
