"""longrange_datasets: the data sources of the longrange apps, real loaders and offline defaults.

Nothing here touches the network unless asked (``download=True``); every source has an offline
default: bundled MNIST digits, generators, and writers of the real datasets' folder layouts.
"""

from .cache import CACHE_ENV, clear_cache, resolve_cache_dir
from .digits import SOURCES, bundled_digits_path, load_digits
from .errors import (
    CorruptDataError,
    HeaderMismatchError,
    MissingDataError,
    load_npz,
    save_npz_atomic,
)
from .isic import INPUT_DIR, ISIC2018, MASK_DIR, write_synthetic_isic
from .listops import (
    OPERATORS,
    VOCAB,
    ListOps,
    evaluate,
    generate_listops,
    generate_listops_splits,
    read_listops_tsv,
    tokenize,
    write_listops_tsv,
)
from .memory import (
    AddingProblem,
    CopyMemory,
    adding_baseline_mse,
    copy_baseline_loss,
    make_adding,
    make_copy,
)
from .moving_mnist import (
    MovingMNIST,
    cached_moving_mnist_splits,
    digit_pools,
    generate_moving_mnist,
    load_moving_mnist,
    make_moving_mnist_splits,
    read_mnist_test_seq,
    save_moving_mnist,
)
from .ptbxl import LEADS, PTBXL, TASKS, load_ptbxl
from .ptbxl_synthetic import write_synthetic_ptbxl
from .sequential import CIFAR10_MEAN, CIFAR10_STD, SequentialImages, scifar10, smnist

__all__ = [
    "CACHE_ENV",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "INPUT_DIR",
    "ISIC2018",
    "LEADS",
    "MASK_DIR",
    "OPERATORS",
    "PTBXL",
    "SOURCES",
    "TASKS",
    "VOCAB",
    "AddingProblem",
    "CopyMemory",
    "CorruptDataError",
    "HeaderMismatchError",
    "ListOps",
    "MissingDataError",
    "MovingMNIST",
    "SequentialImages",
    "adding_baseline_mse",
    "bundled_digits_path",
    "cached_moving_mnist_splits",
    "clear_cache",
    "copy_baseline_loss",
    "digit_pools",
    "evaluate",
    "generate_listops",
    "generate_listops_splits",
    "generate_moving_mnist",
    "load_digits",
    "load_moving_mnist",
    "load_npz",
    "load_ptbxl",
    "make_adding",
    "make_copy",
    "make_moving_mnist_splits",
    "read_listops_tsv",
    "read_mnist_test_seq",
    "resolve_cache_dir",
    "save_moving_mnist",
    "save_npz_atomic",
    "scifar10",
    "smnist",
    "tokenize",
    "write_listops_tsv",
    "write_synthetic_isic",
    "write_synthetic_ptbxl",
]
