"""Operator family: indexing (declarations added by its owner)."""
