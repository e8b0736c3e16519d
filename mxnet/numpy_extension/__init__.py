"""``mx.npx``: MXNet-specific operators and switches for ``mx.np`` code
(neural-network layers, ``set_np``, ``save``/``load``...)."""
