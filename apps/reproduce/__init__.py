"""The claim runner: a paper's claim as a grid of ordinary app runs, with a verdict fixed first.

A claim is one YAML file under ``apps/reproduce/claims/`` (schema: :mod:`apps.reproduce.claims`);
``python -m apps.reproduce CLAIM`` runs its rows × columns × seeds as ``python -m apps.<app>``
processes through submitit (:mod:`~apps.reproduce.execute`), one folder per cell
(:mod:`~apps.reproduce.grid`), then writes ``results.csv``, ``table.md``, ``verdict.json`` and
``figures/`` (:mod:`~apps.reproduce.aggregate`, :mod:`~apps.reproduce.verdict`). This package's
import is light (no torch, scipy or matplotlib): submitit's job processes import it.
"""

from .claims import Claim, available_claims, claim_from_dict, load_claim, resolve_claim

__all__ = ["Claim", "available_claims", "claim_from_dict", "load_claim", "resolve_claim"]
