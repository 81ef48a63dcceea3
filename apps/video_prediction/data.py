"""Moving-MNIST data module: generated from MNIST digits (offline default) or the real test file.

The default generates train/val/test videos from the bundled MNIST digits with
``longrange_datasets.make_moving_mnist_splits`` (each split from its own disjoint pool of digit
images) and keeps them in the datasets package's cache (``cached_moving_mnist_splits``: keyed on
the digits' bytes, every argument and the generator's version, so it cannot go stale).
``test_file`` replaces the test split by the first ``num_test`` sequences of the standard
``mnist_test_seq.npy``; ``digits_root`` draws the digits from torchvision's MNIST instead of the
bundled 5,000.
"""

from __future__ import annotations

from pathlib import Path

from jsonargparse.typing import PositiveFloat, PositiveInt

from apps.framework import AppDataModule, DatasetNotFoundError
from longrange_datasets import (
    MovingMNIST,
    cached_moving_mnist_splits,
    load_digits,
    read_mnist_test_seq,
)

__all__ = ["MovingMNISTDataModule"]

_TEST_SEQ_URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"
_OFFLINE = (
    "omit --data.test_file and --data.digits_root: the default generates Moving-MNIST from the "
    "bundled MNIST digits and caches it (python -m apps.video_prediction)"
)


class MovingMNISTDataModule(AppDataModule[MovingMNIST]):
    """Moving-MNIST, 10 → 10 frames of 64×64 (``(N, T, 1, 64, 64)`` in [0, 1]).

    Args:
        data_dir: cache folder of the generated videos; None: the datasets package's cache
            (``$LONGRANGE_CACHE``, else ``$XDG_CACHE_HOME/longrange``, else
            ``~/.cache/longrange``).
        num_train: generated training videos.
        num_val: generated validation videos.
        num_test: test videos (generated, or the first ones of ``test_file``).
        speed: digit speed multiplier (1, 2, 3: the NeurIPS paper's 1x/2x/3x tables; the real
            test file is speed 1).
        num_digits: digits per video.
        num_input: observed frames ``T_in`` (the rest of the 20 are the targets).
        batch_size: videos per training/evaluation batch (per process under DDP).
        test_file: path of the real ``mnist_test_seq.npy`` (20, 10000, 64, 64); None: generated.
        digits_root: folder with torchvision's MNIST (``<root>/MNIST/raw``) to draw digits from;
            None: the bundled 5,000 MNIST digits.
        seed: seeds the generated videos and the shuffling.
        num_workers: loader worker processes.
    """

    def __init__(
        self,
        data_dir: str | None = None,
        num_train: PositiveInt = 2000,
        num_val: PositiveInt = 200,
        num_test: PositiveInt = 500,
        speed: PositiveFloat = 1.0,
        num_digits: PositiveInt = 2,
        num_input: PositiveInt = 10,
        batch_size: PositiveInt = 16,
        test_file: str | None = None,
        digits_root: str | None = None,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__(seed=seed, num_workers=num_workers, batch_size=batch_size)
        self.save_hyperparameters()
        if not 0 < num_input < 20:
            raise ValueError(f"num_input should be in [1, 19], got {num_input}")
        if test_file is not None and not Path(test_file).is_file():
            raise DatasetNotFoundError(
                f"--data.test_file {test_file} does not exist (expected mnist_test_seq.npy, "
                "uint8 of shape (20, 10000, 64, 64))",
                f"download {_TEST_SEQ_URL} (Srivastava et al. 2015) on a machine with network "
                "and pass its path as --data.test_file",
                _OFFLINE,
            )
        if digits_root is not None and not (Path(digits_root) / "MNIST" / "raw").is_dir():
            raise DatasetNotFoundError(
                f"--data.digits_root {digits_root} has no MNIST/raw folder of torchvision's MNIST",
                "run torchvision.datasets.MNIST(root, download=True) once on a machine with "
                "network (or copy its MNIST/raw files) and pass that root as --data.digits_root",
                _OFFLINE,
            )
        self.future = 20 - num_input
        self.train_set: MovingMNIST | None = None
        self.val_set: MovingMNIST | None = None
        self.test_set: MovingMNIST | None = None

    def _videos(self) -> dict:
        h = self.hparams
        source = "torchvision" if h.digits_root else "bundled"
        digits, _ = load_digits(h.digits_root, train=True, source=source)
        sizes = {"train": h.num_train, "val": h.num_val, "test": h.num_test}
        return cached_moving_mnist_splits(
            digits,
            sizes,
            seed=h.seed,
            cache_dir=h.data_dir,
            speed=h.speed,
            num_digits=h.num_digits,
            num_frames=20,
        )

    def prepare_data(self) -> None:
        """Generate and cache the videos once (local rank 0)."""
        self._videos()

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        videos = self._videos()
        h = self.hparams
        test = videos["test"]
        if h.test_file is not None:
            test = read_mnist_test_seq(h.test_file)[: h.num_test]
        self.train_set = MovingMNIST(videos["train"], h.num_input)
        self.val_set = MovingMNIST(videos["val"], h.num_input)
        self.test_set = MovingMNIST(test, h.num_input)
