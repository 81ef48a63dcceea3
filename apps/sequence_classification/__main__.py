"""``python -m apps.sequence_classification``: sequence classification and memory tasks."""

from apps.framework import main

from .data import SequenceDataModule
from .module import SequenceModule

if __name__ == "__main__":
    raise SystemExit(main("sequence_classification", SequenceModule, SequenceDataModule))
