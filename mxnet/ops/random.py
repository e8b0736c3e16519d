"""Operator family: random (declarations added by its owner)."""
