"""longrange_datasets."""

__all__: list[str] = []
