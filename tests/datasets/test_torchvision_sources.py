"""The torchvision-backed sources, on tiny files written here in torchvision's own formats."""

import pickle
import struct

import numpy as np
import pytest

from longrange_datasets import CIFAR10_MEAN, CIFAR10_STD, load_digits, scifar10, smnist


def _write_idx(path, array, magic):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic))
        for dim in array.shape:
            f.write(struct.pack(">I", dim))
        f.write(array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_root(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), 2051)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, 2049)
    return tmp_path


def test_torchvision_mnist_root(mnist_root):
    images, labels = load_digits(mnist_root, train=True)  # "auto" finds MNIST under root
    assert images.shape == (60, 28, 28)
    assert images.dtype == np.uint8
    np.testing.assert_array_equal(labels, np.arange(60) % 10)
    test_images, _ = load_digits(mnist_root, train=False, source="torchvision")
    assert test_images.shape == (20, 28, 28)
    test = smnist(mnist_root, split="test")
    assert len(test) == 20
    assert test[0][0].shape == (1, 784)


def test_scifar10_from_a_root(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        batches[name] = data
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": [0, 1, 2, 3]}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, f)
    import torchvision.datasets.cifar as cifar

    monkeypatch.setattr(CIFAR10, "_check_integrity", lambda self: True)  # no md5 of fakes
    monkeypatch.setattr(cifar, "check_integrity", lambda *args, **kwargs: True)
    train = scifar10(tmp_path, split="train", val_size=5, seed=0)
    val = scifar10(tmp_path, split="val", val_size=5, seed=0)
    test = scifar10(tmp_path, split="test")
    assert (len(train), len(val), len(test)) == (15, 5, 4)
    x, _ = test[1]
    assert x.shape == (3, 1024)
    raw = batches["test_batch"][1].reshape(3, 1024) / 255.0
    expected = (raw - np.array(CIFAR10_MEAN)[:, None]) / np.array(CIFAR10_STD)[:, None]
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_scifar10_missing_and_corrupt(tmp_path):
    from longrange_datasets.errors import CorruptDataError, MissingDataError

    with pytest.raises(MissingDataError, match="CIFAR-10"):
        scifar10(tmp_path / "none")
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"junk")
    with pytest.raises(CorruptDataError, match="integrity"):
        scifar10(tmp_path)
