"""longrange apps: run from the repository root as ``python -m apps.<name>``."""
