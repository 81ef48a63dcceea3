"""``python -m apps.segmentation``: lesion segmentation (ISIC-2018 layout) with (ARMA) U-Nets."""

from apps.framework import main

from .data import ISICDataModule
from .module import SegmentationModule

if __name__ == "__main__":
    raise SystemExit(main("segmentation", SegmentationModule, ISICDataModule))
