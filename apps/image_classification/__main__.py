"""``python -m apps.image_classification``: conv/ARMA VGG-11 and ResNet-18 on digits or
CIFAR-10."""

from apps.framework import main

from .data import ClassificationDataModule
from .module import ClassificationModule

if __name__ == "__main__":
    raise SystemExit(main("image_classification", ClassificationModule, ClassificationDataModule))
