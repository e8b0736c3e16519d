"""Command-line tools: ``python -m mxnet.tools.launch`` starts distributed jobs."""
