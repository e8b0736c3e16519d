"""The neural-network operator tables run both ways where oneDNN is installed:
with its kernels (``[onednn]``) and with the NumPy kernels alone (``[numpy]``,
``MXNET_ONEDNN_ENABLED=0``), so CI checks each path against the same
references. Without oneDNN they run once, on NumPy."""
import pytest

from mxnet.backends import dnnl

_BOTH_WAYS = ("test_nn_",)


def pytest_generate_tests(metafunc):
    name = metafunc.module.__name__.rpartition(".")[2]
    if dnnl.available and name.startswith(_BOTH_WAYS):
        metafunc.parametrize("kernels", ["onednn", "numpy"], indirect=True)


@pytest.fixture(autouse=True)
def kernels(request, monkeypatch):
    """Which CPU kernels the test runs on (see the module docstring)."""
    choice = getattr(request, "param", None)
    if choice == "numpy":
        monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    return choice
