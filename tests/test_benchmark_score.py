"""examples/benchmark_score.py runs at its smallest setting and prints its table."""
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "examples", "benchmark_score.py")


def _load_module():
    spec = importlib.util.spec_from_file_location("benchmark_score", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_score_compares_onednn_on_and_off_for_one_small_model():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--models", "mobilenet0.25", "--batch-sizes", "1",
         "--iterations", "1", "--warmup", "0", "--onednn", "both"],
        capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header, _, row = proc.stdout.strip().splitlines()
    assert "images/s (oneDNN on)" in header and "images/s (oneDNN off)" in header
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:2] == ["mobilenet0.25", "1"]
    assert float(cells[2]) > 0 and float(cells[3]) > 0 and cells[4].endswith("x")
    assert "oneDNN off" in proc.stderr


def test_benchmark_score_defaults_to_a_quick_subset_and_full_to_mxnets_list():
    module = _load_module()
    quick = module.parse_args([])
    assert quick.models == list(module.QUICK_MODELS)
    assert quick.batch_sizes == list(module.QUICK_BATCHES)
    full = module.parse_args(["--full"])
    assert "vgg16" in full.models and "inceptionv3" in full.models
    assert full.batch_sizes == [1, 2, 4, 8, 16, 32]
    assert module.image_size("inceptionv3") == 299 and module.image_size("alexnet") == 224


def test_benchmark_score_table_has_a_row_per_model_and_batch():
    module = _load_module()
    text = module.table({"a": {"alexnet": {1: 10.0, 8: 40.0}},
                         "b": {"alexnet": {1: 5.0, 8: 40.0}}})
    rows = text.splitlines()[2:]
    assert rows == ["| alexnet | 1 | 10.00 | 5.00 | 2.00x |",
                    "| alexnet | 8 | 40.00 | 40.00 | 1.00x |"]
