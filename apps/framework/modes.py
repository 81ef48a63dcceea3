"""``eval_mode``: run a block with a module in eval mode, then put every flag back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch only for the annotation: this module stays import-light
    from torch import nn

__all__ = ["eval_mode"]


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Put ``module`` (and every submodule) in eval mode for the block; restore each one's flag.

    Each submodule gets back its own ``training`` flag, so a module that was partly frozen
    (``encoder.eval()`` inside a training model) is left exactly as it was, also on an error.
    Gradients are not touched: combine with ``torch.no_grad()`` where none are wanted.

    Example:
        >>> with torch.no_grad(), eval_mode(model):
        ...     preds = model(inputs)
    """
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in flags:
            m.training = training
