"""``_npx_*`` operators: the ``mx.npx`` names of MXNet's neural-network and utility operators."""
