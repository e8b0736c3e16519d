"""Word-level LSTM language model with bucketing, as MXNet 1.x's classic
``example/rnn/bucketing/lstm_bucketing.py`` writes it: the legacy ``mx.rnn``
cells build one symbol per sentence length, ``mx.rnn.BucketSentenceIter``
groups sentences into length buckets, and ``mx.mod.BucketingModule`` trains
the per-bucket executors with shared parameters.

The sentences of ``examples/data/river.txt`` are the corpus; perplexity on
the training sentences is printed at the end.

    python examples/lstm_bucketing.py [--num-epochs 25] [--num-layers 2] [--buckets 8,16,32]
"""
import argparse
import logging
import os
import re

import mxnet as mx

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "river.txt")


def read_sentences(path):
    """Lower-cased word lists, one per sentence of the text."""
    text = open(path, encoding="utf-8").read().lower()
    return [re.findall(r"[a-z']+", s) for s in re.split(r"[.!?]", text) if s.strip()]


def build_sym_gen(stack, vocab_size, num_embed, num_hidden):
    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        embed = mx.sym.Embedding(data=data, input_dim=vocab_size, output_dim=num_embed,
                                 name="embed")
        stack.reset()
        outputs, _ = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, num_hidden))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=vocab_size, name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax", use_ignore=True,
                                    ignore_label=0)
        return pred, ("data",), ("softmax_label",)
    return sym_gen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--num-hidden", type=int, default=64)
    parser.add_argument("--num-embed", type=int, default=32)
    parser.add_argument("--buckets", default="8,16,32")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--num-epochs", type=int, default=25)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--disp-batches", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    mx.random.seed(args.seed)

    sentences, vocab = mx.rnn.encode_sentences(read_sentences(TEXT), invalid_label=0,
                                               start_label=1)
    buckets = [int(b) for b in args.buckets.split(",")]
    train = mx.rnn.BucketSentenceIter(sentences, args.batch_size, buckets=buckets,
                                      invalid_label=0)
    stack = mx.rnn.SequentialRNNCell()
    for i in range(args.num_layers):
        stack.add(mx.rnn.LSTMCell(num_hidden=args.num_hidden, prefix=f"lstm_l{i}_"))
    model = mx.mod.BucketingModule(
        sym_gen=build_sym_gen(stack, len(vocab) + 1, args.num_embed, args.num_hidden),
        default_bucket_key=train.default_bucket_key, context=mx.cpu())
    model.fit(train, eval_metric=mx.metric.Perplexity(0), optimizer="adam",
              optimizer_params={"learning_rate": args.lr, "clip_gradient": 5.0},
              initializer=mx.init.Xavier(factor_type="in", magnitude=2.34),
              num_epoch=args.num_epochs,
              batch_end_callback=mx.callback.Speedometer(args.batch_size, args.disp_batches))
    train.reset()
    name, value = model.score(train, mx.metric.Perplexity(0))[0]
    print(f"vocabulary {len(vocab)} words, {len(train.idx)} batches an epoch; "
          f"final training {name}: {value:.2f}")


if __name__ == "__main__":
    main()
