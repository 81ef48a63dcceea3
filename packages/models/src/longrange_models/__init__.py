"""longrange_models: the papers' architectures, built from arma-core and multires-core.

Every 2D model builds its convolutions through one factory
([`make_conv2d`][longrange_models.make_conv2d]), so its layer kind — ``"conv"``, ``"dilated"``,
``"arma"``, ``"dilated-arma"`` — is one argument. Every model has a JSON-safe config
(``to_config()`` / ``from_config()``) and named paper presets.

* Video prediction: [`ConvLSTMCell`][longrange_models.ConvLSTMCell],
  [`ConvGRUCell`][longrange_models.ConvGRUCell], [`ConvLSTMNet`][longrange_models.ConvLSTMNet].
* Segmentation: [`UNet`][longrange_models.UNet] (U-Net, ARMA U-Net, non-local variants),
  [`NonLocal2d`][longrange_models.NonLocal2d].
* Classification: [`VGG11`][longrange_models.VGG11], [`ResNet18`][longrange_models.ResNet18] (CIFAR
  style), [`MultiresNet`][longrange_models.MultiresNet].
* Memory cells (Wolter & Yao, complex gated memory cells (draft)):
  [`ComplexGatedCell`][longrange_models.ComplexGatedCell],
  [`URNNCell`][longrange_models.URNNCell], LSTM/GRU wrappers,
  [`RecurrentSequenceModel`][longrange_models.RecurrentSequenceModel]; the convolutional
  [`RotationConvGRUCell`][longrange_models.RotationConvGRUCell] (ConvLSTMNet's ``"rotation_gru"``).
* Generation: [`MultiresAR`][longrange_models.MultiresAR] with a streaming sampler, the discretised
  mixture of logistics ([`mixture_nll`][longrange_models.mixture_nll],
  [`mixture_sample`][longrange_models.mixture_sample], ...).
* Baselines at a parameter budget (``for_budget``):
  [`TransformerClassifier`][longrange_models.TransformerClassifier],
  [`WaveNet`][longrange_models.WaveNet] and the generator [`WaveNetAR`][longrange_models.WaveNetAR];
  their input layer [`SequenceInput`][longrange_models.SequenceInput] (real channels or token ids
  to features ``(N, D, L)``).
"""

from ._budget import largest_within, widest, widest_model
from ._sequence_input import SequenceInput
from .cells import ConvGRUCell, ConvLSTMCell
from .classifiers import VGG11, ResNet18, ResNet18Config, VGG11Config
from .complex_cells import (
    RECURRENT_KINDS,
    ComplexGatedCell,
    ComplexGatedCellConfig,
    RecurrentKind,
)
from .config import ConfigMixin, count_parameters, literal_type
from .convlstm_net import (
    CELLS,
    OUTPUT_ACTIVATIONS,
    CellKind,
    ConvLSTMNet,
    ConvLSTMNetConfig,
    OutputActivation,
)
from .convlstm_net import PRESETS as CONVLSTM_PRESETS
from .factory import (
    ARMA_DEFAULTS,
    CONV2D_DEFAULTS,
    LAYER_KINDS,
    Conv2dOptions,
    LayerKind,
    arma_kwargs,
    check_layer_kind,
    conv_kwargs,
    is_arma,
    make_conv2d,
)
from .logistic_mixture import (
    LogisticMixtureHead,
    bits_per_dim,
    mixture_log_probs,
    mixture_nll,
    mixture_params,
    mixture_sample,
    mixture_sample_from_noise,
)
from .multires_ar import AR_PRESETS, ARState, MultiresAR, MultiresARConfig
from .multiresnet import (
    NORMS,
    MultiresBlock,
    MultiresBlockOptions,
    MultiresNet,
    MultiresNetConfig,
    NormKind,
    masked_mean,
)
from .multiresnet import PRESETS as MULTIRESNET_PRESETS
from .non_local import NonLocal2d
from .rnn_baselines import GRUCellWrapper, LSTMCellWrapper, RNNCellConfig
from .rotation_gru import RotationConvGRUCell
from .sequence import (
    EMBEDDINGS,
    SEQUENCE_CELLS,
    EmbeddingKind,
    RecurrentSequenceModel,
    SequenceCellKind,
    hidden_size_for_budget,
)
from .transformer import (
    TRANSFORMER_PRESETS,
    PositionKind,
    TransformerClassifier,
    TransformerClassifierConfig,
    sinusoidal_positions,
)
from .unet import UNET_PRESETS, UPSAMPLE_MODES, UNet, UNetConfig, UpsampleMode
from .urnn import URNNCell, URNNCellConfig
from .wavenet import (
    WaveNet,
    WaveNetConfig,
    WaveNetLayer,
    WaveNetStack,
    fit_wavenet_widths,
    wavenet_dilations,
    wavenet_receptive_field,
    wavenet_stack_parameter_count,
)
from .wavenet_ar import WaveNetAR, WaveNetARConfig

__all__ = [
    "ARMA_DEFAULTS",
    "AR_PRESETS",
    "CELLS",
    "CONV2D_DEFAULTS",
    "CONVLSTM_PRESETS",
    "EMBEDDINGS",
    "LAYER_KINDS",
    "MULTIRESNET_PRESETS",
    "NORMS",
    "OUTPUT_ACTIVATIONS",
    "RECURRENT_KINDS",
    "SEQUENCE_CELLS",
    "TRANSFORMER_PRESETS",
    "UNET_PRESETS",
    "UPSAMPLE_MODES",
    "VGG11",
    "ARState",
    "CellKind",
    "ComplexGatedCell",
    "ComplexGatedCellConfig",
    "ConfigMixin",
    "Conv2dOptions",
    "ConvGRUCell",
    "ConvLSTMCell",
    "ConvLSTMNet",
    "ConvLSTMNetConfig",
    "EmbeddingKind",
    "GRUCellWrapper",
    "LSTMCellWrapper",
    "LayerKind",
    "LogisticMixtureHead",
    "MultiresAR",
    "MultiresARConfig",
    "MultiresBlock",
    "MultiresBlockOptions",
    "MultiresNet",
    "MultiresNetConfig",
    "NonLocal2d",
    "NormKind",
    "OutputActivation",
    "PositionKind",
    "RNNCellConfig",
    "RecurrentKind",
    "RecurrentSequenceModel",
    "ResNet18",
    "ResNet18Config",
    "RotationConvGRUCell",
    "SequenceCellKind",
    "SequenceInput",
    "TransformerClassifier",
    "TransformerClassifierConfig",
    "UNet",
    "UNetConfig",
    "URNNCell",
    "URNNCellConfig",
    "UpsampleMode",
    "VGG11Config",
    "WaveNet",
    "WaveNetAR",
    "WaveNetARConfig",
    "WaveNetConfig",
    "WaveNetLayer",
    "WaveNetStack",
    "arma_kwargs",
    "bits_per_dim",
    "check_layer_kind",
    "conv_kwargs",
    "count_parameters",
    "fit_wavenet_widths",
    "hidden_size_for_budget",
    "is_arma",
    "largest_within",
    "literal_type",
    "make_conv2d",
    "masked_mean",
    "mixture_log_probs",
    "mixture_nll",
    "mixture_params",
    "mixture_sample",
    "mixture_sample_from_noise",
    "sinusoidal_positions",
    "wavenet_dilations",
    "wavenet_receptive_field",
    "wavenet_stack_parameter_count",
    "widest",
    "widest_model",
]
