"""Autoregressive generation with MultiresAR: ``python -m apps.autoregressive_generation``.

Default: the bundled 28x28 MNIST digits as 8-bit grey values (not binarised); CIFAR-10 with
``--data.dataset cifar10 --data.root ROOT``. ``--model.model wavenet`` trains the WaveNet-style
baseline with the same head instead, ``--model.param_budget P`` sizes either network to ``P``
parameters. See docs/apps-generation.md.
"""

from .data import IMAGE_SHAPES, ImageSequenceDataModule, ImageSequences
from .module import GenerationModule
from .networks import MODELS, build_network
from .sampling import marginal_baseline, marginal_log_probs, sampling_report, timed_samples

__all__ = [
    "IMAGE_SHAPES",
    "MODELS",
    "GenerationModule",
    "ImageSequenceDataModule",
    "ImageSequences",
    "build_network",
    "marginal_baseline",
    "marginal_log_probs",
    "sampling_report",
    "timed_samples",
]
