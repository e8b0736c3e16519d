"""Timing helpers shared by every workload.

A workload describes each case as a *factory*: a zero-argument function that
builds the case's inputs and returns ``run(n)``, which performs ``n``
iterations including whatever final synchronisation the case needs.  Keeping
the loop inside ``run`` means the Python loop overhead is the same for every
framework, and setup errors stay attached to the case that caused them.
"""

import statistics
import time
import traceback
from dataclasses import dataclass
from typing import Callable, Dict


@dataclass(frozen=True)
class Case:
    """One benchmark case of a workload, for one framework.

    ``make`` builds the inputs and returns ``run(n)``.  ``ops_per_iter`` is
    how many operations one iteration of ``run`` performs, so results are
    reported per operation (``chain10`` does ten per iteration).
    """

    make: Callable[[], Callable[[int], object]]
    ops_per_iter: int = 1


def _elapsed(run, n):
    start = time.perf_counter()
    run(n)
    return time.perf_counter() - start


def calibrate(run, target_s):
    """Return an iteration count for which ``run`` takes about ``target_s``."""
    n = 1
    while True:
        elapsed = _elapsed(run, n)
        if elapsed >= target_s / 5 or n >= 10**7:
            break
        n *= 10
    return max(1, round(n * target_s / max(elapsed, 1e-9)))


def measure_case(case: Case, repeat: int, target_s: float) -> Dict[str, object]:
    """Time one case; return per-op microseconds or the error it raised.

    The calibration runs double as warm-up.  Each of the ``repeat`` timed
    runs lasts about ``target_s``; the median is the headline number and the
    minimum is kept alongside it.
    """
    try:
        run = case.make()
        run(1)
        n = calibrate(run, target_s)
        per_op_us = [
            _elapsed(run, n) / (n * case.ops_per_iter) * 1e6 for _ in range(repeat)
        ]
    except Exception as exc:  # a broken case is a result, not a crash
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    return {
        "median_us": statistics.median(per_op_us),
        "min_us": min(per_op_us),
        "iters": n,
        "repeat": repeat,
    }
