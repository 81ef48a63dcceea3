"""``python -m apps.autoregressive_generation``: train, test, baselines, samples (see docs)."""

from apps.framework import main

from .data import ImageSequenceDataModule
from .module import GenerationModule

if __name__ == "__main__":
    raise SystemExit(main("autoregressive_generation", GenerationModule, ImageSequenceDataModule))
