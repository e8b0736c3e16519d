"""Suite-wide settings.

``MXNET_TEST_DEFAULT_CONTEXT=gpu(0)`` (or ``gpu:0``) runs the suite with that
default context, as MXNet's GPU test runs did: every array a test makes
without naming a context lands on the GPU, so the operator tests check the
CuPy kernels against NumPy references. Tests that name ``mx.cpu()`` stay on
the host.
"""
import os
import re

import pytest

# Two test processes share the cores (pytest -n 2): OpenMP threads that spin
# after each parallel region would take them from the other process. Set
# before mxnet loads oneDNN, whose OpenMP runtime reads it once.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import mxnet as mx  # noqa: E402
from mxnet.base import MXNetError  # noqa: E402


def _parse_context(text):
    match = re.fullmatch(r"\s*(\w+)\s*(?:[(:]\s*(\d+)\s*\)?)?\s*", text)
    if not match:
        raise MXNetError(f"MXNET_TEST_DEFAULT_CONTEXT: expected e.g. 'gpu(0)' or 'cpu', "
                         f"got {text!r}")
    return mx.Context(match.group(1), int(match.group(2) or 0))


if os.environ.get("MXNET_TEST_DEFAULT_CONTEXT"):
    mx.test_utils.set_default_context(_parse_context(os.environ["MXNET_TEST_DEFAULT_CONTEXT"]))


@pytest.fixture
def small_calls_use_onednn(monkeypatch):
    """Tiny test networks pass oneDNN's size thresholds (the backend switched
    on), so that its kernels, not NumPy's, run them."""
    from mxnet.backends import dnnl
    if dnnl.available:
        from mxnet.backends.dnnl import overrides
        monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)
        monkeypatch.setattr(overrides, "MIN_WORK", 0)
        monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
