"""Video prediction on Moving-MNIST with ConvLSTMNet: ``python -m apps.video_prediction``."""

from .data import MovingMNISTDataModule
from .metrics import FrameMetrics, frame_metrics
from .module import VideoPredictionModule

__all__ = ["FrameMetrics", "MovingMNISTDataModule", "VideoPredictionModule", "frame_metrics"]
