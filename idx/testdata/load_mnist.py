"""Load one mix folder as MNIST readers do; print what they read.

Usage: load_mnist.py tf|torchvision MIXDIR TMPDIR

tf: the parsing of TensorFlow's old read_data_sets
(tensorflow/contrib/learn/datasets/mnist.py): gzip stream, big-endian uint32
magic (2051 images, 2049 labels) and counts, then uint8 data reshaped to
(count, rows, cols, 1); re-implemented here with numpy, since TensorFlow 1.x
is not installable next to the Debian torch.

torchvision: torchvision.datasets.MNIST itself, which reads the four files
gunzipped under ROOT/MNIST/raw/ (what its download step leaves there).

Prints: train count, test count, sum of test pixels, test labels as digits.
"""
import gzip
import os
import shutil
import sys

import numpy


def read32(stream):
    return int(numpy.frombuffer(stream.read(4), dtype=numpy.dtype(">u4"))[0])


def tf_images(path):
    with gzip.open(path, "rb") as s:
        if read32(s) != 2051:
            raise ValueError("bad images magic in " + path)
        n, rows, cols = read32(s), read32(s), read32(s)
        if (rows, cols) != (28, 28):
            raise ValueError("images are %dx%d" % (rows, cols))
        data = numpy.frombuffer(s.read(n * rows * cols), dtype=numpy.uint8)
        if s.read(1):
            raise ValueError("trailing data in " + path)
        return data.reshape(n, rows, cols, 1)


def tf_labels(path):
    with gzip.open(path, "rb") as s:
        if read32(s) != 2049:
            raise ValueError("bad labels magic in " + path)
        n = read32(s)
        labels = numpy.frombuffer(s.read(n), dtype=numpy.uint8)
        if len(labels) != n or s.read(1):
            raise ValueError("label count mismatch in " + path)
        if labels.max() > 9:
            raise ValueError("label above 9 in " + path)
        return labels


def main():
    reader, mixdir, tmp = sys.argv[1:4]
    if reader == "tf":
        train_x = tf_images(os.path.join(mixdir, "train-images-idx3-ubyte.gz"))
        train_y = tf_labels(os.path.join(mixdir, "train-labels-idx1-ubyte.gz"))
        test_x = tf_images(os.path.join(mixdir, "t10k-images-idx3-ubyte.gz"))
        test_y = tf_labels(os.path.join(mixdir, "t10k-labels-idx1-ubyte.gz"))
        assert len(train_x) == len(train_y) and len(test_x) == len(test_y)
        ntrain, ntest = len(train_x), len(test_x)
        pixsum, labels = int(test_x.astype(numpy.int64).sum()), test_y.tolist()
    else:
        import torchvision

        raw = os.path.join(tmp, "MNIST", "raw")
        os.makedirs(raw)
        for f in os.listdir(mixdir):
            with gzip.open(os.path.join(mixdir, f), "rb") as src, open(os.path.join(raw, f[:-3]), "wb") as dst:
                shutil.copyfileobj(src, dst)
            shutil.copy(os.path.join(mixdir, f), raw)
        train = torchvision.datasets.MNIST(tmp, train=True, download=False)
        test = torchvision.datasets.MNIST(tmp, train=False, download=False)
        ntrain, ntest = len(train), len(test)
        pixsum = int(test.data.long().sum())
        labels = test.targets.tolist()
    print(ntrain, ntest, pixsum, "".join(str(l) for l in labels))


main()
