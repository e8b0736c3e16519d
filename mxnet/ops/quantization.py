"""Quantization operators (quantize, dequantize, requantize, calibration)."""
