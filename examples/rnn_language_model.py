"""Train a character-level LSTM language model on a small bundled text.

The text (``examples/data/river.txt``, about 3 KB) is split into training and
validation parts, each laid out as ``batch_size`` parallel streams of
characters (time-major, ``TNC``). The model (embedding, ``gluon.rnn.LSTM``,
dense decoder; hybridized) is trained with truncated back-propagation through
time: ``--bptt`` steps at a time, with the LSTM state carried over between
chunks but detached from the graph. Per-character perplexity is printed each
epoch, and a short greedy sample at the end.

    python examples/rnn_language_model.py [--epochs 20] [--bptt 32] [--hidden 128]
"""
import argparse
import math
import os
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn, rnn

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "river.txt")


class CharLM(gluon.HybridBlock):
    """Embedding -> LSTM -> Dense over the vocabulary, one output per step."""

    def __init__(self, vocab_size, embed=32, hidden=128, num_layers=1, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab_size, embed)
            self.lstm = rnn.LSTM(hidden, num_layers=num_layers, dropout=dropout,
                                 input_size=embed)
            self.decoder = nn.Dense(vocab_size, flatten=False, in_units=hidden)

    def hybrid_forward(self, F, tokens, h, c):
        output, (h, c) = self.lstm(self.embedding(tokens), [h, c])
        return self.decoder(output), h, c

    def begin_state(self, batch_size):
        return self.lstm.begin_state(batch_size)


def batchify(ids, batch_size):
    """(T, batch_size) int array: ``batch_size`` contiguous streams side by side."""
    steps = len(ids) // batch_size
    return ids[:steps * batch_size].reshape(batch_size, steps).T.copy()


def chunks(data, bptt):
    """(inputs, targets) pairs of at most ``bptt`` steps; targets are inputs shifted by one."""
    for i in range(0, len(data) - 1, bptt):
        n = min(bptt, len(data) - 1 - i)
        yield nd.array(data[i:i + n]), nd.array(data[i + 1:i + 1 + n])


def evaluate(model, data, bptt, batch_size, loss_fn):
    h, c = model.begin_state(batch_size)
    total, count = 0.0, 0
    for x, y in chunks(data, bptt):
        out, h, c = model(x, h, c)
        # The loss averages over the streams: one value per time step.
        total += float(loss_fn(out, y).mean().asscalar()) * y.size
        count += y.size
    return math.exp(total / count)


def sample(model, vocab, start, length):
    """Greedy continuation of ``start``, one character at a time."""
    index = {ch: i for i, ch in enumerate(vocab)}
    h, c = model.begin_state(1)
    text = start
    x = nd.array([[index[ch]] for ch in start])
    for _ in range(length):
        out, h, c = model(x, h, c)
        nxt = int(out[-1, 0].argmax(axis=0).asscalar())
        text += vocab[nxt]
        x = nd.array([[nxt]])
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--bptt", type=int, default=32, help="steps per truncated BPTT chunk")
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--clip", type=float, default=1.0, help="global gradient norm bound")
    parser.add_argument("--max-perplexity", type=float, default=0.0,
                        help="fail when the final validation perplexity is above this (0: never)")
    args = parser.parse_args()

    mx.random.seed(0)
    np.random.seed(0)
    with open(TEXT, encoding="utf-8") as f:
        text = " ".join(f.read().split())
    vocab = sorted(set(text))
    ids = np.array([vocab.index(ch) for ch in text], dtype=np.float32)
    split = int(len(ids) * 0.9)
    train = batchify(ids[:split], args.batch_size)
    val = batchify(ids[split:], 1)
    print(f"{len(text)} characters, vocabulary of {len(vocab)}; "
          f"{train.shape[0]} steps x {args.batch_size} streams for training")

    model = CharLM(len(vocab), args.embed, args.hidden, args.layers)
    model.initialize(mx.init.Xavier())
    model.hybridize()
    trainer = gluon.Trainer(model.collect_params(), "adam", {"learning_rate": args.lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    params = [p for p in model.collect_params().values() if p.grad_req != "null"]

    start = time.time()
    for epoch in range(1, args.epochs + 1):
        h, c = model.begin_state(args.batch_size)
        total, count = 0.0, 0
        for x, y in chunks(train, args.bptt):
            # Truncated BPTT: keep the state's values, cut its history.
            h, c = h.detach(), c.detach()
            with autograd.record():
                out, h, c = model(x, h, c)
                loss = loss_fn(out, y)
            loss.backward()
            # The loss has one value per time step (the mean over the streams):
            # the gradients sum over the steps, the clip bound and step() scale with them.
            grads = [p.grad() for p in params]
            gluon.utils.clip_global_norm(grads, args.clip * x.shape[0])
            trainer.step(x.shape[0])
            total += float(loss.mean().asscalar()) * y.size
            count += y.size
        val_ppl = evaluate(model, val, args.bptt, 1, loss_fn)
        print(f"epoch {epoch:3d}  train perplexity {math.exp(total / count):7.2f}  "
              f"validation perplexity {val_ppl:7.2f}  ({time.time() - start:.1f}s)", flush=True)

    print("sample:", repr(sample(model, vocab, "The river ", 60)))
    if args.max_perplexity and val_ppl > args.max_perplexity:
        raise SystemExit(f"validation perplexity {val_ppl:.2f} is above {args.max_perplexity}")


if __name__ == "__main__":
    main()
