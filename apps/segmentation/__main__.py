"""``python -m apps.segmentation``: lesion segmentation (ISIC-2018 layout) with (ARMA) U-Nets;
``python -m apps.segmentation predict ...``: masks for image files of your own
(:mod:`apps.segmentation.predict`)."""

import sys

from apps.framework import main

from .data import ISICDataModule
from .module import SegmentationModule

if __name__ == "__main__":
    if sys.argv[1:2] == ["predict"]:
        from .predict import main as predict

        raise SystemExit(predict(sys.argv[2:]))
    raise SystemExit(main("segmentation", SegmentationModule, ISICDataModule))
