"""Graph passes over symbol graphs, one file each: inference, gradient, planning."""
