"""``python -m apps.reproduce``: the claim runner (see docs/reproductions.md)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
