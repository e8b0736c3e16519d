"""Deformable convolutions (v1 and the modulated v2)."""
