"""``mx.gluon.model_zoo``: predefined networks (``vision``) and the store of
their published pretrained parameters (``model_store``)."""
from . import model_store
from . import vision
