"""multires_core: MultiresConv — a shared-filter dilated causal convolution tree (wavelet MRA).

The operator ([`multires_conv`][multires_core.multires_conv],
[`MultiresConv1d`][multires_core.MultiresConv1d], [`MultiresLayer`][multires_core.MultiresLayer];
its tree options as one type, [`MultiresConvOptions`][multires_core.MultiresConvOptions]),
its TreeSelect memories, exact streaming, DWT/SWT equal to PyWavelets, and filter algebra.
"""

from .dwt import MODES, swt, wavedec
from .filters import compose_strided, equivalent_filters, wavelet_filters
from .layers import MultiresConv1d, MultiresConvOptions, MultiresLayer
from .streaming import (
    STEP_PATHS,
    StreamState,
    fused_unavailable,
    init_stream,
    stream_step,
    stream_step_at,
)
from .tree import (
    METHODS,
    TREE_SELECTS,
    causal_conv,
    default_depth,
    kernel_length,
    kernel_spectrum,
    multires_conv,
    multires_kernel,
    tree_levels,
    tree_outputs,
    uniform_windows,
)

__all__ = [
    "METHODS",
    "MODES",
    "STEP_PATHS",
    "TREE_SELECTS",
    "MultiresConv1d",
    "MultiresConvOptions",
    "MultiresLayer",
    "StreamState",
    "causal_conv",
    "compose_strided",
    "default_depth",
    "equivalent_filters",
    "fused_unavailable",
    "init_stream",
    "kernel_length",
    "kernel_spectrum",
    "multires_conv",
    "multires_kernel",
    "stream_step",
    "stream_step_at",
    "swt",
    "tree_levels",
    "tree_outputs",
    "uniform_windows",
    "wavedec",
    "wavelet_filters",
]
