"""longrange_models: the papers' architectures, built from arma-core and multires-core.

Every 2D model builds its convolutions through one factory (:func:`make_conv2d`), so its layer
kind — ``"conv"``, ``"dilated"``, ``"arma"``, ``"dilated-arma"`` — is one argument. Every model
has a JSON-safe config (``to_config()`` / ``from_config()``) and named paper presets.

* Video prediction: :class:`ConvLSTMCell`, :class:`ConvGRUCell`, :class:`ConvLSTMNet`.
* Segmentation: :class:`UNet` (U-Net, ARMA U-Net, non-local variants), :class:`NonLocal2d`.
* Classification: :class:`VGG11`, :class:`ResNet18` (CIFAR style), :class:`MultiresNet`.
* Generation: :class:`MultiresAR` with a streaming sampler, the discretised mixture of
  logistics (:func:`mixture_nll`, :func:`mixture_sample`, ...).
"""

from .cells import ConvGRUCell, ConvLSTMCell
from .classifiers import VGG11, ResNet18, ResNet18Config, VGG11Config
from .config import ConfigMixin, count_parameters
from .convlstm_net import CELLS, ConvLSTMNet, ConvLSTMNetConfig
from .convlstm_net import PRESETS as CONVLSTM_PRESETS
from .factory import ARMA_DEFAULTS, LAYER_KINDS, arma_kwargs, check_layer_kind, is_arma, make_conv2d
from .logistic_mixture import (
    LogisticMixtureHead,
    bits_per_dim,
    mixture_log_probs,
    mixture_nll,
    mixture_params,
    mixture_sample,
)
from .multires_ar import AR_PRESETS, ARState, MultiresAR, MultiresARConfig
from .multiresnet import PRESETS as MULTIRESNET_PRESETS
from .multiresnet import MultiresBlock, MultiresNet, MultiresNetConfig, masked_mean
from .non_local import NonLocal2d
from .unet import UNET_PRESETS, UNet, UNetConfig

__all__ = [
    "ARMA_DEFAULTS",
    "AR_PRESETS",
    "CELLS",
    "CONVLSTM_PRESETS",
    "LAYER_KINDS",
    "MULTIRESNET_PRESETS",
    "UNET_PRESETS",
    "VGG11",
    "ARState",
    "ConfigMixin",
    "ConvGRUCell",
    "ConvLSTMCell",
    "ConvLSTMNet",
    "ConvLSTMNetConfig",
    "LogisticMixtureHead",
    "MultiresAR",
    "MultiresARConfig",
    "MultiresBlock",
    "MultiresNet",
    "MultiresNetConfig",
    "NonLocal2d",
    "ResNet18",
    "ResNet18Config",
    "UNet",
    "UNetConfig",
    "VGG11Config",
    "arma_kwargs",
    "bits_per_dim",
    "check_layer_kind",
    "count_parameters",
    "is_arma",
    "make_conv2d",
    "masked_mean",
    "mixture_log_probs",
    "mixture_nll",
    "mixture_params",
    "mixture_sample",
]
