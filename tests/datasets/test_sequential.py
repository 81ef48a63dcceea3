import numpy as np
import pytest

from longrange_datasets import SequentialImages, smnist


def test_smnist_shapes_range_and_val_split_disjoint():
    train = smnist(split="train", val_size=500, seed=0)
    val = smnist(split="val", val_size=500, seed=0)
    assert len(train) == 4500
    assert len(val) == 500
    x, _y = train[0]
    assert x.shape == (1, 784)
    assert float(x.min()) >= 0
    assert float(x.max()) <= 1
    flat_t = {tuple(s.flatten()[::7].tolist()) for s, _ in (train[i] for i in range(0, 4500, 9))}
    flat_v = {tuple(val[i][0].flatten()[::7].tolist()) for i in range(500)}
    assert not (flat_t & flat_v)


def test_permuted_smnist_is_a_fixed_permutation():
    plain = smnist(split="val", val_size=50)
    perm = smnist(split="val", val_size=50, permute=True, permutation_seed=3)
    p = np.random.default_rng(3).permutation(784)
    np.testing.assert_array_equal(perm[4][0].numpy(), plain[4][0].numpy()[:, p])
    assert int(perm[4][1]) == int(plain[4][1])


def test_sequential_images_validates():
    with pytest.raises(ValueError, match="one label each"):
        SequentialImages(np.zeros((3, 1, 4, 4), np.float32), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="split should be one of"):
        smnist(split="dev")
