"""Lesion segmentation app: U-Net, ARMA U-Net and their non-local variants on ISIC-2018 (the real
folder when given, generated lesions in the same layout by default). Run ``python -m
apps.segmentation``."""
