"""Spectral and sketching operators: fft, ifft, count_sketch."""
