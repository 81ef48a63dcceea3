"""longrange_models."""

__all__: list[str] = []
