"""``python -m apps.video_prediction``: train, test, baselines and figures (see docs/apps.md);
``python -m apps.video_prediction predict ...``: continue a clip of your own
(:mod:`apps.video_prediction.predict`)."""

import sys

from apps.framework import main

from .data import MovingMNISTDataModule
from .module import VideoPredictionModule

if __name__ == "__main__":
    if sys.argv[1:2] == ["predict"]:
        from .predict import main as predict

        raise SystemExit(predict(sys.argv[2:]))
    raise SystemExit(main("video_prediction", VideoPredictionModule, MovingMNISTDataModule))
