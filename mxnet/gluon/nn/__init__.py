"""``mx.gluon.nn``: neural-network layers and containers."""
from ..block import Block, HybridBlock, SymbolBlock
from .basic_layers import Sequential, HybridSequential, Dense, Lambda, HybridLambda
