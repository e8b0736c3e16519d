"""Operator family: linalg (declarations added by its owner)."""
