"""GPU timings for a device check: ResNet-18 v1 inference (batch 32) and LeNet
training (batch 64) on ``mx.gpu(0)``, next to PyTorch on the same GPU when it
is installed. Prints one line per case; run by tools/gpu_check.sh."""
import time

import numpy as np

import mxnet as mx

# The cpu where there is no GPU, so the script can be tried anywhere.
CTX = mx.gpu(0) if mx.context.num_gpus() else mx.cpu()


def _rate(step, items, seconds=3.0):
    step()
    step()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return items * n / (time.perf_counter() - start)


def resnet_step(batch=32):
    """One ResNet-18 v1 inference step on gpu(0), hybridized, as a callable."""
    net = mx.gluon.model_zoo.vision.resnet18_v1()
    net.initialize(mx.init.Xavier(), ctx=CTX)
    net.hybridize(static_alloc=True, static_shape=True)
    data = mx.nd.array(np.random.default_rng(0).standard_normal((batch, 3, 224, 224)),
                       ctx=CTX)
    return lambda: net(data).wait_to_read()


def lenet_step(batch=64, hybridize=True):
    """One LeNet training step (SGD) on gpu(0), as a callable."""
    from mxnet import autograd, gluon
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(20, 5, activation="relu"), gluon.nn.MaxPool2D(2, 2),
            gluon.nn.Conv2D(50, 5, activation="relu"), gluon.nn.MaxPool2D(2, 2),
            gluon.nn.Flatten(), gluon.nn.Dense(500, activation="relu"), gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier(), ctx=CTX)
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    data = mx.nd.random.normal(shape=(batch, 1, 28, 28), ctx=CTX)
    label = mx.nd.array(np.arange(batch) % 10, ctx=CTX)

    def step():
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(batch)
        loss.wait_to_read()
    return step


def torch_cases():
    try:
        import torch
        import torchvision
    except ImportError:
        return {}
    dev = torch.device("cuda")

    def resnet(batch=32):
        model = torchvision.models.resnet18().to(dev).eval()
        data = torch.randn(batch, 3, 224, 224, device=dev)

        def step():
            with torch.inference_mode():
                model(data)
            torch.cuda.synchronize()
        return _rate(step, batch)

    def lenet(batch=64):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 500),
                              nn.ReLU(), nn.Linear(500, 10)).to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        data = torch.randn(batch, 1, 28, 28, device=dev)
        label = torch.arange(batch, device=dev) % 10

        def step():
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(data), label).backward()
            opt.step()
            torch.cuda.synchronize()
        return _rate(step, batch)
    return {"resnet18_b32 inference img/s": resnet, "lenet_b64 training img/s": lenet}


def main():
    ours = {"resnet18_b32 inference img/s": lambda: _rate(resnet_step(32), 32),
            "lenet_b64 training img/s": lambda: _rate(lenet_step(64, True), 64),
            "lenet_b64 training imperative img/s": lambda: _rate(lenet_step(64, False), 64)}
    theirs = torch_cases()
    for name, case in ours.items():
        try:
            rate = case()
        except Exception as err:  # report and go on: this is a survey of the device
            print(f"{name}: mxnext FAILED {type(err).__name__}: {err}")
            continue
        line = f"{name}: mxnext {rate:.1f}"
        if name in theirs:
            other = theirs[name]()
            line += f", torch {other:.1f} ({rate / other:.2f}x)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
