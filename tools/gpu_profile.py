"""Profile GPU steps (cProfile, tottime): LeNet training hybridized and ResNet-18
inference on gpu(0). For finding host-side costs: syncs, launches, Python.
The NaiveEngine runs every operator in this thread, where cProfile sees it."""
import cProfile
import os
import pstats
import sys

os.environ["MXNET_ENGINE_TYPE"] = "NaiveEngine"
import gpu_bench  # noqa: E402  (after the engine choice)


def profile(label, build, steps):
    step = build()
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    print(f"== {label}: {steps} steps", flush=True)
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    profile("lenet_b64 training hybridized", lambda: gpu_bench.lenet_step(64, True), 50)
    profile("lenet_b64 training imperative", lambda: gpu_bench.lenet_step(64, False), 50)
    profile("resnet18_b32 inference", lambda: gpu_bench.resnet_step(32), 10)
