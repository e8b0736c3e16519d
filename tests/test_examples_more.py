"""The other examples run, at a tiny size, as a user would start them."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def example_command(name, *args):
    return [sys.executable, os.path.join(ROOT, "examples", name), *args]


def example_env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_example(name, *args, timeout=120):
    proc = subprocess.run(example_command(name, *args), capture_output=True, text=True,
                          env=example_env(), timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_gluon_image_classification_logs_speedometer_lines_and_a_progress_bar():
    proc = run_example("gluon_image_classification.py", "--epochs", "1", "--num-train", "128",
                       "--batch-size", "16", "--log-interval", "2", "--progress",
                       "--min-accuracy", "0")
    # MXNet's Speedometer wording, for the 8 batches of the epoch.
    assert re.search(r"Epoch\[0\] Batch \[2-4\]\tSpeed: [\d.]+ samples/sec\taccuracy=[\d.]+",
                     proc.stdout), proc.stdout
    assert "Epoch[0] Validation-accuracy=" in proc.stdout
    assert "8/8" in proc.stderr  # the progress bar (tqdm or the text one) reached the end
    assert "held-out accuracy" in proc.stdout


def test_module_train_checkpoints_every_epoch_and_reloads_the_last(tmp_path):
    prefix = str(tmp_path / "digits")
    proc = run_example("module_train.py", "--network", "lenet", "--epochs", "2",
                       "--prefix", prefix, "--min-accuracy", "0.5")
    for name in ("digits-symbol.json", "digits-0001.params", "digits-0002.params"):
        assert (tmp_path / name).exists(), name
    assert "Saved checkpoint to" in proc.stdout
    assert "reloaded accuracy" in proc.stdout


def test_rnn_language_model_lowers_perplexity_with_truncated_bptt():
    proc = run_example("rnn_language_model.py", "--epochs", "2", "--hidden", "32",
                       "--bptt", "16", "--batch-size", "32")
    train = [float(v) for v in re.findall(r"train perplexity\s+([\d.]+)", proc.stdout)]
    val = [float(v) for v in re.findall(r"validation perplexity\s+([\d.]+)", proc.stdout)]
    assert len(train) == 2 and len(val) == 2, proc.stdout
    vocab = int(re.search(r"vocabulary of (\d+)", proc.stdout).group(1))
    # Better than guessing uniformly over the characters, and improving.
    assert val[-1] < vocab and train[-1] < train[0], proc.stdout
    assert "sample: 'The river " in proc.stdout


def test_train_from_recordio_packs_images_with_im2rec_and_trains(tmp_path):
    proc = run_example("train_from_recordio.py", "--per-class", "16", "--image-size", "16",
                       "--crop", "12", "--batch-size", "8", "--epochs", "1",
                       "--workdir", str(tmp_path), "--min-accuracy", "0")
    for part in ("train", "val"):
        for ext in (".lst", ".rec", ".idx"):
            assert (tmp_path / f"shapes_{part}{ext}").exists(), part + ext
    assert len((tmp_path / "shapes_train.lst").read_text().splitlines()) == 38
    assert "validation accuracy" in proc.stdout


def test_multi_device_keeps_replicas_equal_and_reports_the_speed_ratio():
    proc = run_example("multi_device.py", "--epochs", "2", "--batch-size", "64",
                       "--num-train", "512")
    accuracies = [float(v) for v in re.findall(r"held-out accuracy ([\d.]+)", proc.stdout)]
    # Same seed, same global batch: splitting it over two devices changes only the
    # order in which gradients are summed (the example checks the replicas agree).
    assert len(accuracies) == 2 and abs(accuracies[0] - accuracies[1]) < 0.05, proc.stdout
    assert re.search(r"speed-up with 2 devices: [\d.]+x", proc.stdout), proc.stdout


def _dist_unavailable():
    """Why the distributed example cannot run here, or None."""
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install mxnext[dist])"
    if shutil.which("mpirun") is None:
        return "no mpirun on PATH (install an MPI library, e.g. Open MPI)"
    try:
        import mxnet as mx
        from mxnet.tools.launch import mpirun_command
    except ImportError as err:
        return f"mxnet.tools.launch is not available ({err})"
    kv = getattr(mx, "kv", None)
    if kv is None or not hasattr(kv, "create"):
        return "mx.kv (the kvstore module) is not exposed by mxnet"
    if importlib.util.find_spec("mxnet.kvstore.dist") is None:
        return "mxnet.kvstore has no distributed (dist_sync) support"
    return None


def test_distributed_mpirun_workers_end_with_identical_parameters():
    reason = _dist_unavailable()
    if reason:
        pytest.skip(reason)
    from mxnet.tools.launch import mpirun_command
    argv, environ = mpirun_command(2, example_command("distributed_mpirun.py", "--epochs", "1"),
                                   env={"PYTHONPATH": example_env()["PYTHONPATH"]})
    proc = subprocess.run(argv, capture_output=True, text=True, env=environ, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "worker 0 of 2" in proc.stdout and "worker 1 of 2" in proc.stdout, proc.stdout
    checksums = dict(re.findall(r"worker (\d) parameter checksum ([\d.]+)", proc.stdout))
    assert set(checksums) == {"0", "1"} and checksums["0"] == checksums["1"], proc.stdout
    assert "held-out accuracy" in proc.stdout


def test_numpy_interface_example_fits_and_reloads():
    proc = run_example("numpy_interface.py", "--epochs", "3", "--min-accuracy", "0.8")
    assert "linear regression: w = [" in proc.stdout
    assert re.search(r"held-out accuracy ([\d.]+), after reloading \1", proc.stdout), proc.stdout


def test_lstm_bucketing_learns_the_bundled_text():
    proc = run_example("lstm_bucketing.py", "--num-epochs", "15", "--disp-batches", "3")
    assert re.search(r"Epoch\[0\] Batch \[0-3\]\tSpeed: [\d.]+ samples/sec\tperplexity=[\d.]+",
                     proc.stdout + proc.stderr)
    final = float(re.search(r"final training perplexity: ([\d.]+)", proc.stdout).group(1))
    assert final < 40  # from about 250 (the vocabulary) untrained
