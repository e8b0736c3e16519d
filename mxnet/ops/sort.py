"""Operator family: sort (declarations added by its owner)."""
