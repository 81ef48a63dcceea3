"""``python -m apps.video_prediction``: train, test, baselines and figures (see docs/apps.md)."""

from apps.framework import main

from .data import MovingMNISTDataModule
from .module import VideoPredictionModule

if __name__ == "__main__":
    raise SystemExit(main("video_prediction", VideoPredictionModule, MovingMNISTDataModule))
