"""Image classification app: conv/ARMA VGG-11 and ResNet-18 on the bundled digits or CIFAR-10,
and the re-parameterisation stability ablation (``python -m apps.image_classification.ablation``).
"""
