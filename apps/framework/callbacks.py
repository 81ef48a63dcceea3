"""Callbacks for exact resume: RNG states in the checkpoint, and the last-batch guard."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch

__all__ = ["LastBatchResumeGuard", "RNGStateCallback"]


class RNGStateCallback(pl.Callback):
    """Saves torch's, numpy's and Python's global RNG states in each checkpoint and restores them.

    numpy's state array is stored as a tensor so the checkpoint stays ``weights_only``-loadable
    (Lightning's own ``_collect_rng_states`` keeps a numpy array, which does not).
    """

    @property
    def state_key(self) -> str:
        return "RNGStateCallback"

    def state_dict(self) -> dict[str, Any]:
        kind, keys, pos, has_gauss, gauss = np.random.get_state()  # noqa: NPY002 (global state)
        version, internal, py_gauss = random.getstate()
        return {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": {
                "kind": str(kind),
                "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "gauss": float(gauss),
            },
            "python": {"version": version, "internal": list(internal), "gauss": py_gauss},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
        if state_dict["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
        n = state_dict["numpy"]
        keys = n["keys"].numpy().astype(np.uint32)
        np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["gauss"]))  # noqa: NPY002
        p = state_dict["python"]
        random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))


class LastBatchResumeGuard(pl.Callback):
    """Work around a Lightning 2.6 bug: resuming from a step checkpoint written on the last batch
    of an epoch with a ``StatefulDataLoader`` makes ``fit`` stop at once (0 steps, no error).

    Dropping the saved loader state in that case lets the next epoch start normally (the data
    module's generators already hold the order of the next epoch).
    """

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        fit = checkpoint.get("loops", {}).get("fit_loop", {})
        state = fit.get("state_dict", {})
        progress = fit.get("epoch_loop.batch_progress", {})
        if progress.get("is_last_batch") and "combined_loader" in state:
            del state["combined_loader"]
