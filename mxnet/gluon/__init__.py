"""``mx.gluon``: the imperative/hybrid neural-network API (Blocks, Parameters, Trainer)."""
from .parameter import DeferredInitializationError, Parameter, Constant, ParameterDict, \
    tensor_types
from .block import Block, HybridBlock, SymbolBlock
from .trainer import Trainer
from . import nn, utils, contrib
from . import data
from . import loss
from . import rnn
from . import model_zoo
