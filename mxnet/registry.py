"""Name registries for configurable classes (``mx.registry``).

Initializers and evaluation metrics are looked up by lower-cased name, so
configurations can name them as strings: ``'xavier'``, a JSON list
``'["xavier", {"magnitude": 2}]'`` (what ``Initializer.dumps`` writes), a
JSON object or dict ``{"<nickname>": name, **kwargs}``, or an instance.
"""
import json
import warnings

from .base import string_types

__all__ = ["get_registry", "get_register_func", "get_alias_func", "get_create_func"]

_REGISTRY = {}


def _table(base_class):
    return _REGISTRY.setdefault(base_class, {})


def get_registry(base_class):
    """A copy of ``{name: class}`` registered for ``base_class``."""
    return _table(base_class).copy()


def get_register_func(base_class, nickname):
    """A ``register(klass, name=None)`` decorator for subclasses of ``base_class``."""
    registry = _table(base_class)

    def register(klass, name=None):
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise TypeError(f"Can only register subclass of {base_class.__name__}, got {klass!r}")
        name = (klass.__name__ if name is None else name).lower()
        old = registry.get(name)
        if old is not None and old is not klass:
            warnings.warn(f"New {nickname} {klass.__module__}.{klass.__name__} registered with "
                          f"name {name} is overriding existing {nickname} "
                          f"{old.__module__}.{old.__name__}", UserWarning, stacklevel=2)
        registry[name] = klass
        return klass
    register.__doc__ = f"Register a {nickname} class under its (or the given) name."
    return register


def get_alias_func(base_class, nickname):
    """An ``alias(*names)`` decorator registering a class under extra names."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases):
        def decorate(klass):
            for name in aliases:
                register(klass, name)
            return klass
        return decorate
    return alias


def get_create_func(base_class, nickname):
    """A ``create(name_or_instance_or_config, *args, **kwargs)`` factory."""
    registry = _table(base_class)

    def create(*args, **kwargs):
        if args:
            name, args = args[0], args[1:]
        elif nickname in kwargs:
            name = kwargs.pop(nickname)
        else:
            raise TypeError(f"create: give the {nickname} to create")
        if isinstance(name, base_class):
            if args or kwargs:
                raise ValueError(f"{nickname} is already an instance. Additional arguments are "
                                 f"invalid")
            return name
        if isinstance(name, dict):
            return create(**name)
        if not isinstance(name, string_types):
            raise TypeError(f"{nickname} must be of string type, got {type(name).__name__}")
        if name.startswith('[') or name.startswith('{'):
            if args or kwargs:
                raise ValueError(f"a JSON {nickname} configuration takes no extra arguments")
            config = json.loads(name)
            if isinstance(config, dict):
                return create(**config)
            name, kwargs = config
            return create(name, **kwargs)
        klass = registry.get(name.lower())
        if klass is None:
            raise ValueError(f"{name.lower()} is not registered. Please register with "
                             f"{nickname}.register first (known: {sorted(registry)})")
        return klass(*args, **kwargs)
    create.__doc__ = (f"Create a {nickname} from its registered name, a JSON or dict "
                      f"configuration, or return a {base_class.__name__} instance unchanged.")
    return create
