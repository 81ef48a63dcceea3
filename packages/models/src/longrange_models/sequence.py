"""Run any vector cell over a sequence; cell kinds and equal-parameter-budget sizing.

Legend: N batch, T time, I input features, V vocabulary (token inputs), H hidden units,
O outputs.

[`RecurrentSequenceModel`][longrange_models.sequence.RecurrentSequenceModel] maps real inputs
``(N, T, I)`` (or int64 tokens ``(N, T)``, one-hot or embedded to ``I`` features) to
``(N, T, O)`` with one of [`SEQUENCE_CELLS`][longrange_models.sequence.SEQUENCE_CELLS], whose
real read-out gives the outputs.
[`hidden_size_for_budget`][longrange_models.sequence.hidden_size_for_budget] picks ``H`` so that
different cells compare at an equal parameter budget (the memory tasks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ._budget import largest_within
from ._checks import positive_int
from ._complex import real_parameter_count
from ._vector_cell import State, VectorCell
from .complex_cells import ComplexGatedCell
from .config import ConfigMixin, literal_type
from .rnn_baselines import GRUCellWrapper, LSTMCellWrapper
from .urnn import URNNCell

__all__ = [
    "EMBEDDINGS",
    "SEQUENCE_CELLS",
    "EmbeddingKind",
    "RecurrentSequenceModel",
    "RecurrentSequenceModelConfig",
    "SequenceCellKind",
    "build_cell",
    "hidden_size_for_budget",
]

SEQUENCE_CELLS: dict[str, tuple[type[VectorCell], dict[str, Any]]] = {
    "lstm": (LSTMCellWrapper, {}),
    "gru": (GRUCellWrapper, {}),
    "urnn": (URNNCell, {}),
    "complex_circulant": (ComplexGatedCell, {"recurrent": "circulant"}),
    "complex_unitary": (ComplexGatedCell, {"recurrent": "unitary"}),
}
"""Vector cell kinds: ``kind -> (class, extra constructor arguments)``."""
#: How token inputs become features.
EmbeddingKind = Literal["one_hot", "learned"]
EMBEDDINGS: tuple[EmbeddingKind, ...] = get_args(EmbeddingKind)

if TYPE_CHECKING:  # the names are the table's keys, known at run time; a type checker sees str
    SequenceCellKind = str
else:
    #: A key of [`SEQUENCE_CELLS`][longrange_models.SEQUENCE_CELLS], as a ``Literal``.
    SequenceCellKind = literal_type(SEQUENCE_CELLS)


def build_cell(
    kind: SequenceCellKind, input_size: int, hidden_size: int, output_size: int | None = None
) -> VectorCell:
    """A cell of kind ``kind`` (a key of ``SEQUENCE_CELLS``) with a read-out to ``output_size``
    features (``None``: none)."""
    if kind not in SEQUENCE_CELLS:
        raise ValueError(f"cell should be one of {tuple(SEQUENCE_CELLS)}, got {kind!r}")
    cls, extra = SEQUENCE_CELLS[kind]
    return cls(input_size, hidden_size, output_size=output_size, **extra)


def hidden_size_for_budget(
    cell_kind: str, input_size: int, output_size: int, budget: int, max_hidden: int = 4096
) -> int:
    """The hidden size ``H`` whose cell (with its read-out to ``output_size``) has the total
    parameter count closest to ``budget`` (ties: the smaller ``H``).

    Counts are stored real numbers (a complex entry counts 2), measured on built cells, so an
    LSTM, a GRU, a URNN and the complex cells compare at an equal budget. An embedding of token
    inputs is not counted (it is the same for every kind at equal ``input_size``).
    """
    for name, v in (("input_size", input_size), ("output_size", output_size), ("budget", budget)):
        positive_int(name, v)

    def count(h: int) -> int:
        return real_parameter_count(build_cell(cell_kind, input_size, h, output_size))

    lo = largest_within(count, budget, 1, max_hidden)  # counts increase with h
    if lo < max_hidden and count(lo + 1) - budget < budget - count(lo):
        return lo + 1
    return lo


class RecurrentSequenceModel(ConfigMixin, nn.Module):
    """A vector cell run over a sequence, with token embedding and a real read-out.

    Args:
        cell: a kind of ``SEQUENCE_CELLS`` (built with ``hidden_size`` and a read-out to
            ``output_size``), or a built cell with the vector-cell contract (its
            ``input_size`` must be ``input_size``; a cell without read-out gets an
            ``nn.Linear(F, output_size)`` head).
        input_size: ``I``, features per step fed to the cell.
        output_size: ``O``.
        hidden_size: ``H``; needed when ``cell`` is a kind
            (see [`hidden_size_for_budget`][longrange_models.sequence.hidden_size_for_budget]).
        num_tokens: ``V``: inputs are int64 tokens ``(N, T)`` in ``[0, V)``; ``None``: real
            features ``(N, T, I)``.
        embedding: ``"one_hot"`` (needs ``input_size == num_tokens``, no parameters) or
            ``"learned"`` (``nn.Embedding(V, I)``).

    Shape:
        ``x (N, T, I)`` real or ``(N, T)`` int64 -> ``(N, T, O)``.
    """

    def __init__(
        self,
        cell: SequenceCellKind | VectorCell = "lstm",
        input_size: int = 1,
        output_size: int = 1,
        hidden_size: int | None = None,
        *,
        num_tokens: int | None = None,
        embedding: EmbeddingKind = "one_hot",
    ) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.output_size = positive_int("output_size", output_size)
        if num_tokens is not None:
            positive_int("num_tokens", num_tokens)
        if embedding not in EMBEDDINGS:
            raise ValueError(f"embedding should be one of {EMBEDDINGS}, got {embedding!r}")
        if num_tokens is not None and embedding == "one_hot" and num_tokens != input_size:
            raise ValueError(
                f"one_hot embedding needs input_size == num_tokens={num_tokens}, "
                f"got input_size={input_size}"
            )
        self.num_tokens, self.embedding_kind = num_tokens, embedding
        self.head: nn.Module = nn.Identity()
        if isinstance(cell, str):
            if hidden_size is None:
                raise ValueError(f"hidden_size is needed with cell={cell!r}, got None")
            positive_int("hidden_size", hidden_size)
            self.cell = build_cell(cell, input_size, hidden_size, output_size)
            self._store_config(locals())
        elif isinstance(cell, VectorCell):
            if cell.input_size != input_size:
                raise ValueError(
                    f"cell.input_size should be input_size={input_size}, got {cell.input_size}"
                )
            if cell.output_size is None:
                self.head = nn.Linear(cell.output_features, output_size)
            elif cell.output_size != output_size:
                raise ValueError(
                    f"cell.output_size should be output_size={output_size}, got {cell.output_size}"
                )
            self.cell = cell
            self.config = None
        else:
            raise TypeError(f"cell should be a cell kind or a cell module, got {cell!r}")
        self.embedding = None
        if num_tokens is not None and embedding == "learned":
            self.embedding = nn.Embedding(num_tokens, input_size)

    def to_config(self) -> dict[str, Any]:
        """The constructor's arguments (JSON-safe); only for a model built from a cell kind."""
        if self.config is None:
            raise TypeError("to_config needs a model built from a cell kind, got a cell module")
        return super().to_config()

    def embed(self, x: Tensor) -> Tensor:
        """Inputs -> real features ``(N, T, I)`` (tokens one-hot or embedded)."""
        if self.num_tokens is None:
            if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != self.input_size:
                got: tuple[int, ...] | str = (
                    tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
                )
                raise ValueError(f"x should be a Tensor[N, T, {self.input_size}], got {got}")
            if not x.is_floating_point():
                raise TypeError(f"x should be real features, got dtype {x.dtype}")
            return x
        if not isinstance(x, Tensor) or x.ndim != 2 or x.dtype != torch.int64:
            got = f"{tuple(x.shape)} {x.dtype}" if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x should be int64 tokens Tensor[N, T], got {got}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.num_tokens):
            got = (int(x.min()), int(x.max()))
            raise ValueError(f"tokens should be in [0, {self.num_tokens}), got range {got}")
        if self.embedding is not None:
            return self.embedding(x)
        dtype = self.cell.real_dtype()
        return F.one_hot(x, self.num_tokens).to(dtype)

    def init_state(self, batch: int, device: Any = None, dtype: Any = None) -> State:
        """The cell's zero state (see the cell's ``init_state``)."""
        return self.cell.init_state(batch, device, dtype)

    def forward_with_state(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """As ``forward``, also returning the last state (to continue a sequence)."""
        outputs, state = self.cell(self.embed(x), state)
        return self.head(outputs), state

    def forward(self, x: Tensor, state: State | None = None) -> Tensor:
        """``x (N, T, I)`` real or ``(N, T)`` int64 tokens -> outputs ``(N, T, O)``."""
        return self.forward_with_state(x, state)[0]

    def extra_repr(self) -> str:
        s = f"input_size={self.input_size}, output_size={self.output_size}"
        if self.num_tokens is not None:
            s += f", num_tokens={self.num_tokens}, embedding={self.embedding_kind!r}"
        return s


#: The config dataclass built from ``RecurrentSequenceModel``'s signature (the cell as a kind).
RecurrentSequenceModelConfig = RecurrentSequenceModel.config_class
