"""Operator family: elemwise_misc (declarations added by its owner)."""
