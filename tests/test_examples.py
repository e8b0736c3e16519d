"""Every example runs, at a small size, as a user would start it."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, *args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_train_mlp_trains_saves_and_reloads(tmp_path):
    out = tmp_path / "mlp.params"
    proc = run_example("train_mlp.py", "--epochs", "15", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reloaded accuracy" in proc.stdout
    assert out.exists()


def test_train_digits_trains_a_cnn_and_reloads_it(tmp_path):
    out = tmp_path / "digits.params"
    proc = run_example("train_digits.py", "--epochs", "2", "--min-accuracy", "0.5",
                       "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reloaded accuracy" in proc.stdout and out.exists()
