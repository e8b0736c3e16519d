"""Quantized (int8/uint8) neural-network operators."""
