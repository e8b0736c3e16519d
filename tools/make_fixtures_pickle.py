"""Write a pickled NDArray from real MXNet 1.9.1 (run with the oracle venv).

Pickles hold MXNet's raw array bytes; the test checks they load here."""
import os
import pickle

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "pickle")


def main():
    os.makedirs(OUT, exist_ok=True)
    x = mx.nd.array([[1, 2], [3, 4]], dtype="int64")
    with open(os.path.join(OUT, "int64_2x2.pickle"), "wb") as f:
        pickle.dump(x, f, protocol=4)


if __name__ == "__main__":
    main()
