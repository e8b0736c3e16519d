#!/bin/bash
# The device check for the gpu context, for a machine with an NVIDIA GPU and
# CuPy: the GPU tests, the test suites in SWEEP (default: operators, NDArray,
# autograd, Gluon, Symbol, Module, executors, optimizers, kvstore) with gpu(0)
# as the default context, and GPU timings. Logs go to $OUT (default ./gpu-out).
# Usage: bash tools/gpu_check.sh [sweep seconds]
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
SWEEP=${SWEEP:-"tests/ops tests/test_ndarray.py tests/test_autograd.py tests/gluon tests/symbol
  tests/module tests/test_cached_op.py tests/test_executor_backward.py tests/test_executor_reshape.py
  tests/test_optimizer.py tests/kvstore/test_kvstore_local.py tests/test_sparse.py
  tests/test_control_flow.py tests/test_fused_gradients.py tests/test_softmax_ce_fusion.py
  tests/test_random_seed.py tests/test_graph_memory.py tests/test_initializer.py tests/test_metric.py"}
python3 -c "import mxnet as mx, numpy, cupy; print('numpy', numpy.__version__, 'cupy', cupy.__version__, 'gpus', mx.context.num_gpus())"
python3 -m pytest -q -p no:cacheprovider -rfE --timeout 300 tests/gpu 2>&1 | tee "$OUT/gpu_tests.log" | tail -15
MXNET_TEST_DEFAULT_CONTEXT='gpu(0)' timeout -s INT "${1:-240}" python3 -m pytest -q -p no:cacheprovider \
    -n 8 --timeout 60 -rfE --tb=short $SWEEP > "$OUT/sweep.log" 2>&1
grep -c "^FAILED\|^ERROR" "$OUT/sweep.log"; tail -1 "$OUT/sweep.log"
timeout 120 python3 tools/gpu_bench.py 2>&1 | tee "$OUT/bench.log"
