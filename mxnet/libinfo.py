"""Version of the MXNet API this package implements."""
__version__ = "1.9.1"
