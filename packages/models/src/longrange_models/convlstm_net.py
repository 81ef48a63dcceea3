"""ConvLSTMNet: the ARMA papers' 12-layer ConvLSTM backbone for video prediction.

Legend: N batch, T time, C frame channels, H×W frame, p patch size, K hidden channels,
B = num_layers / block_size blocks.

Per time step a frame ``(N, C, H, W)`` is reshaped to ``(N, C·p², H/p, W/p)``
(``F.pixel_unshuffle``), passed through ``num_layers`` recurrent cells in ``B`` blocks, mapped by a
1×1 convolution to ``C·p²`` channels and reshaped back (``F.pixel_shuffle``). Skip connections
follow the authors' code (``skip_stride = 2``): the output of block ``b >= 2`` is concatenated
over channels with the output of block ``b − 2``, and the result feeds the next block (or the
output convolution). With 4 blocks of 3 that is the papers' skips between layers (3, 9) and
(6, 12).

The rollout is encoder-forecaster: the ``T_in`` input frames are fed one by one (each step
predicts the next frame); then ``T_out − 1`` more steps are fed the previous prediction or, with
probability ``teacher_forcing`` per sample and step, the ground truth (scheduled sampling).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Unpack, get_args

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ._checks import positive_int, positive_ints
from .cells import ConvGRUCell, ConvLSTMCell, _ConvCell
from .config import ConfigMixin, literal_type
from .factory import ARMA_DEFAULTS, CONV2D_DEFAULTS, Conv2dOptions, check_layer_kind, is_arma
from .non_local import NonLocal2d
from .rotation_gru import RotationConvGRUCell

__all__ = [
    "CELLS",
    "OUTPUT_ACTIVATIONS",
    "PRESETS",
    "CellKind",
    "ConvLSTMNet",
    "ConvLSTMNetConfig",
    "OutputActivation",
]

#: Recurrent cell kinds. A cell class with ``needs_size = True`` (``"rotation_gru"``) is built
#: with ``size=`` the frame size after patching, so the model needs ``frame_size``.
CELLS: dict[str, type[_ConvCell]] = {
    "lstm": ConvLSTMCell,
    "gru": ConvGRUCell,
    "rotation_gru": RotationConvGRUCell,
}
#: What the output convolution's logits go through.
OutputActivation = Literal["sigmoid", "none"]
OUTPUT_ACTIVATIONS: tuple[OutputActivation, ...] = get_args(OutputActivation)

_NL = (2, 5)  # after the 3rd and 6th layer (0-based indices): the outputs of blocks 1 and 2

#: The papers' Moving-MNIST models (ICML Table 2, NeurIPS Tables 3-4); ``*_nl`` adds two
#: non-local blocks after layers 3 and 6 (the ends of the first two blocks).
PRESETS: dict[str, dict[str, Any]] = {
    "conv3": {"layer": "conv", "kernel_size": 3},
    "conv5": {"layer": "conv", "kernel_size": 5},
    "dilated": {"layer": "dilated", "kernel_size": 3, "dilation": 2},
    "arma": {"layer": "arma", "kernel_size": 3, "ar_order": 1},
    "dilated_arma": {"layer": "dilated-arma", "kernel_size": 3, "dilation": 2, "ar_order": 1},
}
PRESETS.update({f"{k}_nl": {**v, "non_local_layers": _NL} for k, v in list(PRESETS.items())})

if TYPE_CHECKING:  # the names are the table's keys, known at run time; a type checker sees str
    CellKind = str
else:
    #: A key of [`CELLS`][longrange_models.CELLS], as a ``Literal`` (command-line choices).
    CellKind = literal_type(CELLS)


def _shape(x: Any) -> Any:
    return tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__


class ConvLSTMNet(ConfigMixin, nn.Module):
    """Stacked convolutional LSTM/GRU video predictor with block skips (the papers' backbone).

    Args:
        in_channels: ``C`` of the frames.
        hidden_channels: ``K`` of every cell (the papers: 32).
        num_layers: recurrent cells (the papers: 12).
        block_size: cells per block; must divide ``num_layers`` (the papers: 3).
        dilation: of the cells' (moving-average) convolutions; default per kind (2 for the
            dilated kinds).
        cell: a key of [`CELLS`][longrange_models.CELLS]: ``"lstm"``
            ([`ConvLSTMCell`][longrange_models.ConvLSTMCell]), ``"gru"`` or ``"rotation_gru"``
            (needs ``frame_size``;
            [`RotationConvGRUCell`][longrange_models.rotation_gru.RotationConvGRUCell]).
        patch_size: ``p``; frames are processed as ``(C·p², H/p, W/p)``.
        non_local_layers: 0-based indices of the cells after which a
            [`NonLocal2d`][longrange_models.NonLocal2d] transforms the cell's output
            (what the next layer and any skip see; the cell's own recurrent state is untouched).
        output_activation: ``"sigmoid"`` (frames in [0, 1]) or ``"none"``.
        skip_stride: block ``b >= skip_stride`` has its output concatenated with that of block
            ``b − skip_stride``; ``None``: no skips.
        non_local_sub_sample: max-pool the keys and values of the non-local blocks by 2.
        frame_size: ``(H, W)`` of the frames; needed by (only) the cells sized to the frame
            (``cell="rotation_gru"``), which then accept only that size.
        **conv: the cells' convolutions' options
            ([`Conv2dOptions`][longrange_models.Conv2dOptions]: ``layer``, the kind of every
            cell's convolutions, one of [`LAYER_KINDS`][longrange_models.LAYER_KINDS];
            ``kernel_size``, odd; ``ar_order``, AR stages per axis for the ARMA kinds (1 = the
            papers' AR kernel 3×3); and the ARMA options ``ar_init``, ``boundary``, ``reparam``,
            ``ar_eps``, ``method``, ARMA kinds only (for the plain kinds they must keep their
            defaults); defaults ``make_conv2d``'s and ``ARMA2d``'s, ``layer="conv"``).

    Shape:
        ``inputs (N, T_in, C, H, W)`` -> ``(N, T_out, C, H, W)``.

    ``ConvLSTMNet.preset(name, **overrides)`` builds a model of
    [`PRESETS`][longrange_models.CONVLSTM_PRESETS] (``conv3``, ``conv5``, ``dilated``, ``arma``,
    ``dilated_arma`` and each with ``_nl``); the config dataclass is ``ConvLSTMNetConfig``.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS

    def __init__(
        self,
        in_channels: int = 1,
        hidden_channels: int = 32,
        num_layers: int = 12,
        block_size: int = 3,
        dilation: int | None = None,
        cell: CellKind = "lstm",
        patch_size: int = 1,
        non_local_layers: tuple[int, ...] | list[int] = (),
        output_activation: OutputActivation = "sigmoid",
        skip_stride: int | None = 2,
        non_local_sub_sample: bool = True,
        frame_size: tuple[int, int] | list[int] | None = None,
        **conv: Unpack[Conv2dOptions],
    ) -> None:
        super().__init__()
        positive_ints(
            in_channels=in_channels, hidden_channels=hidden_channels, num_layers=num_layers,
            block_size=block_size, patch_size=patch_size,
        )  # fmt: skip
        if num_layers % block_size:
            raise ValueError(
                f"block_size should divide num_layers={num_layers}, got block_size={block_size}"
            )
        check_layer_kind(conv.get("layer", CONV2D_DEFAULTS["layer"]))
        if cell not in CELLS:
            raise ValueError(f"cell should be one of {tuple(CELLS)}, got {cell!r}")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"output_activation should be one of {OUTPUT_ACTIVATIONS}, "
                f"got {output_activation!r}"
            )
        if skip_stride is not None:
            positive_int("skip_stride", skip_stride)
        if not isinstance(non_local_layers, tuple | list):
            raise TypeError(f"non_local_layers should be a tuple of ints, got {non_local_layers!r}")
        nl = tuple(positive_int("non_local_layers", i, 0) for i in non_local_layers)
        if len(set(nl)) != len(nl) or any(i >= num_layers for i in nl):
            raise ValueError(
                f"non_local_layers should be distinct indices in [0, {num_layers}), got {nl}"
            )
        cell_kwargs: dict[str, Any] = {}
        if frame_size is not None:
            if not isinstance(frame_size, tuple | list) or len(frame_size) != 2:
                raise ValueError(f"frame_size should be (H, W), got {frame_size!r}")
            h, w = (positive_int("frame_size", side) for side in frame_size)
            frame_size = (h, w)
            if frame_size[0] % patch_size or frame_size[1] % patch_size:
                raise ValueError(
                    f"patch_size={patch_size} should divide frame_size, got {frame_size}"
                )
        if getattr(CELLS[cell], "needs_size", False):
            if frame_size is None:
                raise ValueError(f"frame_size (H, W) is needed for cell={cell!r}, got None")
            cell_kwargs["size"] = (frame_size[0] // patch_size, frame_size[1] // patch_size)
        self._store_config(
            locals(), non_local_layers=nl, non_local_sub_sample=bool(non_local_sub_sample)
        )
        cfg = self.config
        layer = cfg.layer
        arma_options = {name: getattr(cfg, name) for name in ARMA_DEFAULTS}
        if not is_arma(layer):
            for name, v in arma_options.items():
                if v != ARMA_DEFAULTS[name]:
                    raise ValueError(f"{name}={v!r} needs an ARMA layer kind, got layer={layer!r}")
            arma_options = {}
        self.in_channels, self.hidden_channels = in_channels, hidden_channels
        self.num_layers, self.block_size = num_layers, block_size
        self.num_blocks = num_layers // block_size
        self.patch_size, self.skip_stride = patch_size, skip_stride
        self.output_activation = output_activation
        frame_channels = in_channels * patch_size**2

        cell_cls = CELLS[cell]
        #: the cells, typed (``nn.ModuleList`` is not generic); registered as ``self.cells``
        self._cells: list[_ConvCell] = []
        for i in range(num_layers):
            b, first = divmod(i, block_size)
            if i == 0:
                channels = frame_channels
            elif first == 0 and self._has_skip(b - 1):
                channels = 2 * hidden_channels
            else:
                channels = hidden_channels
            self._cells.append(
                cell_cls(
                    channels,
                    hidden_channels,
                    layer,
                    cfg.kernel_size,
                    dilation=dilation,
                    ar_order=cfg.ar_order,
                    **cell_kwargs,
                    **arma_options,
                )
            )
        self.cells = nn.ModuleList(self._cells)
        self.non_local = nn.ModuleDict(
            {str(i): NonLocal2d(hidden_channels, sub_sample=non_local_sub_sample) for i in nl}
        )
        out_in = hidden_channels * (2 if self._has_skip(self.num_blocks - 1) else 1)
        self.output = nn.Conv2d(out_in, frame_channels, 1)
        nn.init.xavier_uniform_(self.output.weight)
        if self.output.bias is not None:
            nn.init.zeros_(self.output.bias)

    # ------------------------------------------------------------------ structure
    def _skip_source(self, block: int) -> int | None:
        """The block whose output is concatenated with block ``block``'s (``block − skip_stride``),
        or None."""
        s = self.skip_stride
        return block - s if s is not None and block >= s else None

    def _has_skip(self, block: int) -> bool:
        """Whether block ``block``'s output is concatenated with an earlier block's."""
        return self._skip_source(block) is not None

    # ------------------------------------------------------------------ forward
    def _check_inputs(
        self, inputs: Tensor, future: int, targets: Tensor | None, teacher_forcing: float
    ) -> None:
        if not isinstance(inputs, Tensor) or inputs.ndim != 5:
            raise ValueError(f"inputs should be a Tensor[N, T, C, H, W], got {_shape(inputs)}")
        n, t, c, h, w = inputs.shape
        if c != self.in_channels or t < 1:
            raise ValueError(
                f"inputs should have T >= 1 and in_channels={self.in_channels} channels, "
                f"got shape {tuple(inputs.shape)}"
            )
        p = self.patch_size
        if self.config.frame_size is not None and (h, w) != tuple(self.config.frame_size):
            raise ValueError(
                f"inputs should have frame_size={tuple(self.config.frame_size)} frames, "
                f"got H×W = {h}×{w}"
            )
        if h % p or w % p:
            raise ValueError(f"patch_size={p} should divide the frame size, got H×W = {h}×{w}")
        positive_int("future", future)
        if isinstance(teacher_forcing, bool) or not isinstance(teacher_forcing, int | float):
            raise TypeError(f"teacher_forcing should be a float, got {teacher_forcing!r}")
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing should be in [0, 1], got {teacher_forcing}")
        if targets is not None:
            want = (n, future, c, h, w)
            if not isinstance(targets, Tensor) or tuple(targets.shape) != want:
                raise ValueError(f"targets should have shape {want}, got {_shape(targets)}")
        elif teacher_forcing > 0:
            raise ValueError(f"teacher_forcing={teacher_forcing} > 0 needs targets, got None")

    def _step(self, frame: Tensor, states: list[tuple[Tensor, ...]]) -> Tensor:
        """One time step: frame ``(N, C·p², h, w)`` -> next-frame logits ``(N, C·p², h, w)``.

        ``states`` (one per cell) is updated in place.
        """
        x, block_outputs = frame, []
        for i, cell in enumerate(self._cells):
            x, states[i] = cell.step(x, states[i])
            if str(i) in self.non_local:
                x = self.non_local[str(i)](x)
            b, pos = divmod(i, self.block_size)
            if pos == self.block_size - 1:  # end of block b
                block_outputs.append(x)
                src = self._skip_source(b)
                if src is not None:
                    x = torch.cat([x, block_outputs[src]], dim=1)
        return self.output(x)

    def forward(
        self,
        inputs: Tensor,
        future: int = 10,
        targets: Tensor | None = None,
        teacher_forcing: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Predict the ``future`` frames that follow ``inputs``.

        Args:
            inputs (Tensor[N, T_in, C, H, W]): the observed frames (in [0, 1]).
            future: ``T_out``, frames to predict.
            targets (Tensor[N, T_out, C, H, W] | None): the true future frames, needed when
                ``teacher_forcing > 0``.
            teacher_forcing: probability, per sample and forecast step, that the next input is
                the true frame instead of the model's own prediction (scheduled sampling).
            generator: draws the teacher-forcing choices (reproducible runs); on the device of
                its own, the choices are moved to the inputs' device.

        Returns:
            Tensor[N, T_out, C, H, W]: the predicted frames.
        """
        self._check_inputs(inputs, future, targets, teacher_forcing)
        n, t_in, _, h, w = inputs.shape
        p = self.patch_size
        use_truth = None
        if teacher_forcing > 0 and future > 1:
            shape = (n, future - 1)
            if teacher_forcing >= 1:
                use_truth = torch.ones(shape, dtype=torch.bool, device=inputs.device)
            else:
                device = generator.device if generator is not None else inputs.device
                draws = torch.rand(shape, generator=generator, device=device)
                use_truth = (draws < teacher_forcing).to(inputs.device)
        states = [
            c.init_state(n, (h // p, w // p), inputs.device, inputs.dtype) for c in self._cells
        ]
        preds: list[Tensor] = []
        for t in range(t_in + future - 1):
            if t < t_in:
                frame = inputs[:, t]
            elif use_truth is not None and targets is not None:  # (_check_inputs: both or none)
                k = t - t_in  # targets[:, k] is frame t
                frame = torch.where(use_truth[:, k, None, None, None], targets[:, k], preds[-1])
            else:
                frame = preds[-1]
            y = F.pixel_shuffle(self._step(F.pixel_unshuffle(frame, p), states), p)
            if self.output_activation == "sigmoid":
                y = torch.sigmoid(y)
            if t >= t_in - 1:
                preds.append(y)
        return torch.stack(preds, dim=1)

    def extra_repr(self) -> str:
        cfg = self.config
        s = (
            f"in_channels={cfg.in_channels}, hidden_channels={cfg.hidden_channels}, "
            f"num_layers={cfg.num_layers}, block_size={cfg.block_size}, cell={cfg.cell!r}, "
            f"layer={cfg.layer!r}, kernel_size={cfg.kernel_size}"
        )
        if cfg.dilation is not None:
            s += f", dilation={cfg.dilation}"
        if is_arma(cfg.layer):
            s += f", ar_order={cfg.ar_order}"
        if cfg.patch_size != 1:
            s += f", patch_size={cfg.patch_size}"
        if cfg.non_local_layers:
            s += f", non_local_layers={cfg.non_local_layers}"
        if cfg.skip_stride != 2:
            s += f", skip_stride={cfg.skip_stride}"
        return s + f", output_activation={cfg.output_activation!r}"


#: The config dataclass built from ``ConvLSTMNet``'s signature.
ConvLSTMNetConfig = ConvLSTMNet.config_class
