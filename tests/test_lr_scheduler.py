"""mx.lr_scheduler: rate sequences against MXNet 1.9.1, and argument checks."""
import json
import os

import pytest

from mxnet import lr_scheduler

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "lr_scheduler",
                       "sequences.json")) as _f:
    FIX = json.load(_f)


@pytest.mark.parametrize("case", FIX["cases"],
                         ids=[f"{c['scheduler']}-{i}" for i, c in enumerate(FIX["cases"])])
def test_rates_match_mxnet(case):
    sched = getattr(lr_scheduler, case["scheduler"])(**case["kwargs"])
    rates = [sched(n) for n in FIX["calls"]]
    assert rates == pytest.approx(case["rates"], rel=1e-12, abs=1e-15)


def test_defaults():
    s = lr_scheduler.FactorScheduler(step=10)
    assert (s.base_lr, s.factor, s.stop_factor_lr, s.warmup_steps, s.warmup_mode) == \
        (0.01, 1, 1e-8, 0, "linear")
    assert lr_scheduler.PolyScheduler(10).power == 2
    assert lr_scheduler.CosineScheduler(10).final_lr == 0


def test_linear_warmup_rises_from_begin_to_base():
    s = lr_scheduler.CosineScheduler(max_update=100, base_lr=1.0, warmup_steps=4,
                                     warmup_begin_lr=0.2)
    assert [s(n) for n in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])


@pytest.mark.parametrize("make,match", [
    (lambda: lr_scheduler.FactorScheduler(step=0), "greater or equal than 1"),
    (lambda: lr_scheduler.FactorScheduler(step=2, factor=1.5), "no more than 1"),
    (lambda: lr_scheduler.MultiFactorScheduler(step=[3, 2]), "increasing"),
    (lambda: lr_scheduler.MultiFactorScheduler(step=[0, 2]), "greater or equal than 1"),
    (lambda: lr_scheduler.PolyScheduler(max_update=0), "strictly positive"),
    (lambda: lr_scheduler.CosineScheduler(max_update=5, warmup_mode="cubic"), "linear and constant"),
    (lambda: lr_scheduler.CosineScheduler(max_update=5, base_lr=0.1, warmup_begin_lr=0.5),
     "higher than warmup_begin_lr"),
    (lambda: lr_scheduler.PolyScheduler(max_update=5, warmup_steps=-1), "positive or 0"),
])
def test_bad_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_base_class_requires_call():
    with pytest.raises(NotImplementedError):
        lr_scheduler.LRScheduler()(1)
