"""``mx.optimizer``: optimizers, their registry and the ``Updater``.

``mx.optimizer.create('sgd', learning_rate=0.1)`` (or
``Optimizer.create_optimizer``) builds a registered optimizer by its
lower-cased class name; ``mx.optimizer.register`` adds new ones.
"""
from . import optimizer
from .optimizer import Optimizer, Updater, create, get_updater, register
from .sgd import SGD, ccSGD, NAG, Signum, SGLD, DCASGD, Test
from .lars import LARS, LBSGD
from .adam import Adam, Adamax, Nadam, FTML, LAMB
from .adagrad import AdaGrad, AdaDelta, RMSProp, Ftrl
from . import contrib
from ..ndarray import abs as NDabs  # MXNet exports it from this package

__all__ = ["AdaDelta", "AdaGrad", "Adam", "Adamax", "DCASGD", "FTML", "Ftrl", "LARS", "LBSGD",
           "NAG", "NDabs", "Nadam", "Optimizer", "RMSProp", "SGD", "SGLD", "Signum", "LAMB",
           "Test", "Updater", "ccSGD", "create", "get_updater", "register", "contrib"]
