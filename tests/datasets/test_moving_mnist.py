import numpy as np
import pytest
import torch

from longrange_datasets import (
    MovingMNIST,
    cached_moving_mnist_splits,
    digit_pools,
    generate_moving_mnist,
    load_digits,
    load_moving_mnist,
    make_moving_mnist_splits,
    read_mnist_test_seq,
    save_moving_mnist,
)
from longrange_datasets.errors import CorruptDataError, MissingDataError


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits()  # the bundled offline digits
    return images, labels


def test_bundled_digits_are_real_mnist(digits):
    images, labels = digits
    assert images.shape == (5000, 28, 28)
    assert images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    # MNIST digits: dark background, bright centred strokes
    assert images[:, :3].mean() < 2
    assert images[:, 10:18, 10:18].mean() > 60


def test_recipe_shapes_determinism_and_max_combination(digits):
    images = digits[0][:50]
    v1, pos = generate_moving_mnist(images, 4, seed=3, return_positions=True)
    v2 = generate_moving_mnist(images, 4, seed=3)
    assert v1.shape == (4, 20, 64, 64)
    assert v1.dtype == np.uint8
    np.testing.assert_array_equal(v1, v2)
    assert not np.array_equal(v1, generate_moving_mnist(images, 4, seed=4))
    assert pos.shape == (4, 20, 2, 2)
    single = generate_moving_mnist(images[:1], 1, seed=0, num_digits=1)
    assert single.max() == images[0].max()  # one digit: frames are the digit, pasted


@pytest.mark.parametrize("speed", [1, 2, 3])
def test_trajectories_bounce_and_stay_in_the_canvas(digits, speed):
    _, pos = generate_moving_mnist(
        digits[0][:20], 30, seed=speed, num_frames=40, speed=speed, return_positions=True
    )
    limit = 64 - 28
    assert pos.min() >= 0
    assert pos.max() <= limit
    steps = np.diff(pos, axis=1)  # (N, T-1, D, 2)
    speeds = np.linalg.norm(steps, axis=-1)
    expected = 0.1 * limit * speed
    free = speeds > expected - 1e-9  # steps without a wall hit keep the exact speed
    assert free.mean() > 0.5
    np.testing.assert_allclose(speeds[free], expected, rtol=1e-9)
    flips = np.sign(steps[:, 1:]) * np.sign(steps[:, :-1]) < 0
    assert flips.any()  # velocity components reverse at walls


def test_pools_are_disjoint():
    pools = digit_pools(1000, seed=0)
    sets = [set(p.tolist()) for p in pools.values()]
    assert sum(len(s) for s in sets) == 1000
    assert not (sets[0] & sets[1])
    assert not (sets[0] & sets[2])
    assert not (sets[1] & sets[2])


def test_splits_draw_from_disjoint_digit_pools():
    # digits that identify themselves: image i is filled with value i + 1 in a distinct block
    digits = np.zeros((60, 28, 28), dtype=np.uint8)
    for i in range(60):
        digits[i, 10:18, 10:18] = i + 1
    videos = make_moving_mnist_splits(
        digits, {"train": 20, "val": 10, "test": 10}, seed=0, num_digits=1, num_frames=3
    )
    used = {s: set(np.unique(v).tolist()) - {0} for s, v in videos.items()}
    pools = digit_pools(60, seed=0)
    for split, values in used.items():
        assert values <= {int(i) + 1 for i in pools[split]}
    assert not (used["train"] & used["val"])
    assert not (used["train"] & used["test"])
    assert videos["train"].shape == (20, 3, 64, 64)
    again = make_moving_mnist_splits(digits, {"val": 10}, seed=0, num_digits=1, num_frames=3)
    assert again["val"].shape == (10, 3, 64, 64)


def test_splits_refuse_positions():
    digits = np.zeros((60, 28, 28), dtype=np.uint8)
    with pytest.raises(ValueError, match="return_positions"):
        make_moving_mnist_splits(digits, {"val": 2}, num_frames=3, return_positions=True)


def test_cache_round_trip_and_dataset(tmp_path, digits):
    videos = generate_moving_mnist(digits[0][:10], 3, seed=0)
    path = save_moving_mnist(tmp_path / "mm.npz", videos)
    np.testing.assert_array_equal(load_moving_mnist(path), videos)
    ds = MovingMNIST(videos)
    x, y = ds[1]
    assert x.shape == y.shape == (10, 1, 64, 64)
    assert x.dtype == torch.float32
    assert float(x.min()) >= 0
    assert float(x.max()) <= 1


def test_fixed_test_file_reader(tmp_path):
    arr = np.random.default_rng(0).integers(0, 255, (20, 3, 64, 64), dtype=np.uint8)
    np.save(tmp_path / "mnist_test_seq.npy", arr)
    out = read_mnist_test_seq(tmp_path / "mnist_test_seq.npy")
    assert out.shape == (3, 20, 64, 64)
    np.testing.assert_array_equal(out[1, 5], arr[5, 1])


def test_corrupt_and_missing_files(tmp_path, digits):
    with pytest.raises(MissingDataError, match=r"nope\.npz: not found"):
        load_moving_mnist(tmp_path / "nope.npz")
    path = save_moving_mnist(tmp_path / "mm.npz", generate_moving_mnist(digits[0][:5], 2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated npz
    with pytest.raises(CorruptDataError, match=r"mm\.npz: cannot be read as a Moving-MNIST cache"):
        load_moving_mnist(path)
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(CorruptDataError, match=r"bad\.npy"):
        read_mnist_test_seq(tmp_path / "bad.npy")
    with pytest.raises(MissingDataError, match="torchvision's MNIST"):
        load_digits(tmp_path, source="torchvision")


def test_generated_splits_are_cached_by_digits_arguments_and_version(
    digits, private_cache, monkeypatch
):
    import longrange_datasets.moving_mnist as mm

    images = digits[0][:60]
    sizes = {"train": 3, "val": 2}
    direct = make_moving_mnist_splits(images, sizes, seed=5, num_frames=4, speed=2)
    first = cached_moving_mnist_splits(images, sizes, seed=5, num_frames=4, speed=2)
    assert sorted(first) == ["train", "val"]
    for split in sizes:
        np.testing.assert_array_equal(first[split], direct[split])
    (entry,) = (private_cache / "moving_mnist").glob("*.npz")
    stamp = entry.stat().st_mtime_ns
    again = cached_moving_mnist_splits(images, sizes, seed=5, num_frames=4, speed=2)
    np.testing.assert_array_equal(again["val"], direct["val"])
    assert entry.stat().st_mtime_ns == stamp  # read, not regenerated
    other = images.copy()
    other[0, 14, 14] ^= 1  # one pixel of one digit: another entry
    cached_moving_mnist_splits(other, sizes, seed=5, num_frames=4, speed=2)
    cached_moving_mnist_splits(images, sizes, seed=5, num_frames=4, speed=3)
    assert len(list((private_cache / "moving_mnist").glob("*.npz"))) == 3
    calls = []
    real = mm.make_moving_mnist_splits

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mm, "GENERATOR_VERSION", mm.GENERATOR_VERSION + 1)
    monkeypatch.setattr(mm, "make_moving_mnist_splits", counting)
    # a new generator version regenerates (and replaces) the same entry, once
    cached_moving_mnist_splits(images, sizes, seed=5, num_frames=4, speed=2)
    cached_moving_mnist_splits(images, sizes, seed=5, num_frames=4, speed=2)
    assert len(calls) == 1
    assert len(list((private_cache / "moving_mnist").glob("*.npz"))) == 3
