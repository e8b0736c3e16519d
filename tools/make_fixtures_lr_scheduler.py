"""Write the fixtures of tests/test_lr_scheduler.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_lr_scheduler.py

For each scheduler configuration, ``sequences.json`` holds the rates it
returns when called with the update counts of ``CALLS`` in that order
(including repeated and decreasing counts, which show its state).
"""
import json
import os

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "lr_scheduler")
CALLS = list(range(0, 26)) + [25, 3, 40, 100, 7]
CONFIGS = [
    ("FactorScheduler", {"step": 3, "factor": 0.5, "base_lr": 1.0}),
    ("FactorScheduler", {"step": 2, "factor": 0.1, "stop_factor_lr": 1e-3, "base_lr": 1.0}),
    ("FactorScheduler", {"step": 4, "factor": 0.9, "warmup_steps": 5, "warmup_begin_lr": 0.001}),
    ("FactorScheduler", {"step": 1, "warmup_steps": 4, "warmup_begin_lr": 0.002,
                         "warmup_mode": "constant"}),
    ("MultiFactorScheduler", {"step": [2, 5, 9], "factor": 0.5, "base_lr": 0.4}),
    ("MultiFactorScheduler", {"step": [6, 10], "factor": 0.1, "warmup_steps": 6}),
    ("PolyScheduler", {"max_update": 20, "base_lr": 0.5, "pwr": 2}),
    ("PolyScheduler", {"max_update": 20, "base_lr": 0.5, "pwr": 1, "final_lr": 0.1,
                       "warmup_steps": 5, "warmup_begin_lr": 0.05}),
    ("CosineScheduler", {"max_update": 20, "base_lr": 0.5}),
    ("CosineScheduler", {"max_update": 15, "base_lr": 0.3, "final_lr": 0.01, "warmup_steps": 3,
                         "warmup_mode": "constant", "warmup_begin_lr": 0.1}),
]


def main():
    cases = []
    for name, kwargs in CONFIGS:
        sched = getattr(mx.lr_scheduler, name)(**kwargs)
        cases.append({"scheduler": name, "kwargs": kwargs, "rates": [sched(n) for n in CALLS]})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "sequences.json"), "w") as f:
        json.dump({"calls": CALLS, "cases": cases}, f)


if __name__ == "__main__":
    main()
